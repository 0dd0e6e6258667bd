import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { EventLog } from '../log/types.js';
import { authHook } from './auth/auth-hook.js';
import type { Principal } from './auth/principal.js';
import type { AuthOptions } from './auth/auth-options.js';
import type { HubContext } from './hub-context.js';
import type { LiveOptions } from './live/live-options.js';
import { clientErrorHandler, frameworkErrorHandler, sendError, sendNotFound } from './http-errors.js';
import { redactedLoggerOptions } from './log-redaction.js';
import { createHubMetrics, type HubMetrics } from './metrics.js';
import {
  checkRecurring,
  recurringSchedules,
  type RecurringHandle,
  type RecurringSchedule,
} from '../scheduling/recurring.js';
import { eventRoutes } from './routes/events.js';
import { scheduledRoutes } from './routes/scheduled.js';
import type { GroupConsumeOptions } from './groups/consume-options.js';
import { groupConsumeRoutes } from './groups/consume-routes.js';
import { groupRoutes } from './routes/groups.js';
import { healthRoutes } from './routes/health.js';
import { indexRoutes } from './routes/index-page.js';
import { liveRoutes } from './live/live-routes.js';
import { closeRefusedUpgrade } from './live/refused-upgrade.js';
import { metricsRoutes } from './routes/metrics.js';
import { countingMetrics } from './stats/counting-metrics.js';
import { HubStats } from './stats/hub-stats.js';
import { statsRoutes } from './stats/stats-route.js';
import { meRoutes } from './routes/me.js';
import { openApiRoutes } from './openapi.js';
import { ipAllowHook, registerSecurity, securityHeaders, securityHeadersHook } from './security.js';
import { requestGuard } from './request-guard.js';
import { boundToLoopback } from './loopback.js';

/**
 * Path parameters (stream and group names) may be 255 characters, each up to 9 once
 * percent-encoded (3 UTF-8 bytes as `%XX`): every name the API accepts can be read back.
 */
const MAX_PARAM_LENGTH = 255 * 9;

/** Options of `createServer`. */
export interface ServerOptions {
  log: EventLog;
  /**
   * Recurring events this hub produces while it listens (see `recurringSchedules`): every hub on
   * a shared backend may run the same list, each tick is stored once.
   */
  schedules?: readonly RecurringSchedule[];
  /** Largest request body in bytes (default 1 MiB); larger gets 413 `PAYLOAD_TOO_LARGE`. */
  bodyLimit?: number;
  /** `source` of plain-JSON events that set none, when auth is off (default `'http'`). */
  defaultSource?: string;
  /**
   * The built dashboard served at `/` to browsers (default: `dist/dashboard` of this package, built
   * by `npm run build`); `false`, or a folder without its `manifest.json`, serves the small HTML
   * index page instead.
   */
  dashboard?: string | false;
  /** Fastify's logger option: `true` for pino at info, or pino options (default off). */
  logger?: boolean | Record<string, unknown>;
  /** The hub's metrics (default: a fresh registry). */
  metrics?: HubMetrics;
  /** `GET /metrics` without a token even when auth is on (default false: admin only). */
  metricsPublic?: boolean;
  /** API keys and JWT; off when unset. See `docs/auth.md`. */
  auth?: AuthOptions;
  /**
   * Origins allowed by CORS (`['*']` for any; `[]` for none). Unset: none, except that a hub
   * without auth that listens on loopback only allows loopback origins (`http://localhost:<port>`,
   * `http://127.0.0.1:<port>`, `http://[::1]:<port>`) to read and write.
   */
  cors?: { origins: readonly string[] };
  /** Requests per window per key (or per IP when anonymous); off when unset or `false`. */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /**
   * Host names the hub answers to besides IP literals and `localhost` (`.example.com` covers the
   * names below it). Unset: any name when auth is on, none when it is off (DNS rebinding).
   */
  hosts?: readonly string[];
  /** Only these addresses or CIDR ranges may connect (default: any). */
  allowIps?: readonly string[];
  /** SSE and WebSocket delivery. */
  live?: LiveOptions;
  /** Consumer groups over HTTP (`POST /v1/groups/{name}/pull`, `.../ack`, `.../nack`). */
  groups?: GroupConsumeOptions;
  /** On close, how long requests in flight may take before every connection is cut (default 10,000 ms). */
  shutdownGraceMs?: number;
  /** How long a client may take to send a request's headers (default 60,000 ms); then 408 and closed. */
  headersTimeoutMs?: number;
  /** How long a client may take to send a whole request, body included (default 300,000 ms); then 408. */
  requestTimeoutMs?: number;
}

/**
 * The hub's HTTP API on an event log: CloudEvents ingest at `POST /v1/events` (structured, batch,
 * binary and plain JSON), queries at `GET /v1/events`, `GET /v1/events/:id` and
 * `GET /v1/streams/:stream`, and `GET /healthz` / `GET /readyz`. Errors are
 * `{ error: { code, message, details } }` with the codes of `docs/errors.md`.
 *
 * @example
 * ```ts
 * const app = createServer({ log: await sqliteLog({ path: './herald-data/events.db' }) });
 * await app.listen({ host: '127.0.0.1', port: 4021 });
 * ```
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const headers = securityHeaders(options);
  // Fastify turns Node's request timeout off (0), so a client that trickles a body held its socket
  // for good. Node checks both timeouts every `connectionsCheckingInterval` (30 s by default): a
  // quarter of the shorter one keeps a short timeout meaningful.
  const requestTimeout = options.requestTimeoutMs ?? 300_000;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? 60_000, requestTimeout);
  const app = Fastify({
    requestTimeout,
    http: {
      headersTimeout,
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(headersTimeout / 4))),
    },
    // Credentials in URLs and headers are redacted from every line, whatever the options.
    logger: redactedLoggerOptions(options.logger),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Request ids: the caller's X-Request-Id when it sends one, else a counter; on every log line.
    requestIdHeader: 'x-request-id',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Answered before any hook runs, so these set the security headers themselves.
    frameworkErrors: frameworkErrorHandler(headers),
    clientErrorHandler: clientErrorHandler(headers),
  });
  const stats = new HubStats();
  const ctx: HubContext = {
    log: options.log,
    // One seam feeds both: every publish, delivery and live client counted for Prometheus is
    // counted in this hub's stats ring too.
    metrics: countingMetrics(options.metrics ?? createHubMetrics(), stats),
    stats,
    defaultSource: options.defaultSource ?? 'http',
  };
  if (options.schedules !== undefined && options.schedules.length > 0) {
    // Checked now (a bad schedule fails createServer, not a later tick); run while listening.
    for (const schedule of options.schedules) checkRecurring(schedule);
    const list = options.schedules;
    let running: RecurringHandle | undefined;
    app.addHook('onListen', (done) => {
      running = recurringSchedules(ctx.log, list, {
        onError: (error, schedule) =>
          app.log.warn({ err: error, schedule: schedule.name }, 'a recurring tick was not scheduled'),
      });
      done();
    });
    app.addHook('preClose', (done) => {
      running?.stop();
      done();
    });
  }
  // Every body arrives as bytes: the CloudEvents binding decides by content type and ce-* headers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(sendError);
  app.setNotFoundHandler(sendNotFound);
  // Reference-typed decorators must start null (Fastify shares the prototype); the hook sets it.
  app.decorateRequest('principal', null as unknown as Principal);
  // First of the hooks, so every response a later hook sends (401, 403, 429) has the headers.
  app.addHook('onRequest', securityHeadersHook(headers));
  if (options.allowIps !== undefined) app.addHook('onRequest', ipAllowHook(options.allowIps));
  // Without auth and without `cors`, pages on loopback origins are the hub's own while it listens
  // on loopback only: a browser works with no configuration (docs/security.md).
  const loopbackOrigins =
    options.auth === undefined && options.cors === undefined ? boundToLoopback(app) : undefined;
  app.addHook(
    'onRequest',
    requestGuard({
      authOn: options.auth !== undefined,
      hosts: options.hosts,
      origins: options.cors?.origins,
      loopbackOrigins,
    }),
  );
  app.addHook('onRequest', authHook(options.auth));
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    ctx.metrics.request(
      request.routeOptions.url ?? 'unknown',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  // A refused upgrade's socket is the hub's to close: nothing else does (see the function).
  app.addHook('onResponse', closeRefusedUpgrade(options.live?.closeGraceMs ?? 5_000));

  // Shutdown drains, but within a bound: connections still open after the grace (a request that
  // does not finish, a client that connected and never sent one) are cut, so close never hangs.
  const grace = options.shutdownGraceMs ?? 10_000;
  const idle = idleConnections(app.server);
  app.addHook('preClose', (done) => {
    setTimeout(() => app.server.closeAllConnections(), grace).unref();
    idle.closing();
    done();
  });
  registerSecurity(app, options, loopbackOrigins);
  // Routes go in a plugin registered after the security plugins, so their per-route hooks
  // (rate limit, CORS) apply to every route. Register new route modules inside it.
  void app.register((api, _opts, done) => {
    indexRoutes(api, options.dashboard);
    healthRoutes(api, ctx);
    eventRoutes(api, ctx);
    scheduledRoutes(api, ctx);
    groupRoutes(api, ctx);
    groupConsumeRoutes(api, ctx, options.groups);
    metricsRoutes(api, ctx, { public: options.metricsPublic === true });
    statsRoutes(api, ctx);
    meRoutes(api);
    openApiRoutes(api);
    liveRoutes(api, ctx, options.live);
    // The last preClose hook (after the live clients were told to go): `server.close()` follows.
    api.addHook('preClose', (done) => {
      idle.cutUnused();
      done();
    });
    done();
  });
  return app;
}

/**
 * What Node's `closeIdleConnections()` (run by `server.close()`) leaves open, and so would hold
 * the close for the whole grace: a connection that never sent a byte (fetch/undici opens one
 * after aborting a streaming response, and never uses it), and a keep-alive connection whose
 * request was still in flight when the close began (it goes idle after `server.close()` ran).
 */
function idleConnections(server: Server): { closing(): void; cutUnused(): void } {
  const sockets = new Set<Socket>();
  let closing = false;
  let sweep: NodeJS.Immediate | undefined;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // Answered while closing and kept alive: the connection, now idle, closes. One sweep per
    // turn of the loop: it visits every connection (thousands of streams may end at once).
    response.once('close', () => {
      const socket = request.socket;
      if (!closing || socket.destroyed || socket.writableEnded || sweep !== undefined) return;
      sweep = setImmediate(() => {
        sweep = undefined;
        server.closeIdleConnections();
      });
    });
  });
  return {
    closing() {
      closing = true;
    },
    cutUnused() {
      // No request ever started on these: nothing to drain. Upgrades and requests read bytes.
      for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
    },
  };
}
