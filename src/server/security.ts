import { BlockList, isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import helmet from 'helmet';
import { HeraldError } from '../errors/herald-error.js';
import type { ServerOptions } from './create-server.js';
import { isLoopbackOrigin } from './loopback.js';

/** Response headers a browser client may read. */
const EXPOSED = [
  'x-request-id',
  'retry-after',
  'herald-events-lost',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/** Response headers, by lower-case name. */
export type HeaderTable = Readonly<Record<string, string>>;

/**
 * The security headers of every hub response, as helmet sets them (`X-Content-Type-Options`,
 * `Strict-Transport-Security`, `X-Frame-Options`, the cross-origin policies, ...). Computed once:
 * they do not depend on the request, and responses written outside Fastify's hooks (routing
 * errors, HTTP parse errors answered on the raw socket) need them as plain values.
 *
 * @example
 * ```ts
 * const headers = securityHeaders({ cors: { origins: ['https://app.example'] } });
 * headers['x-content-type-options']; // 'nosniff'
 * ```
 */
export function securityHeaders(options: Pick<ServerOptions, 'cors'>): HeaderTable {
  const table: Record<string, string> = {};
  const collector = {
    setHeader(name: string, value: string | number | readonly string[]) {
      table[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader() {},
  } as unknown as ServerResponse;
  // Without a CSP nothing helmet sets depends on the request: an empty stand-in is passed.
  helmet({
    // An API, not pages: no CSP needed for JSON; allow cross-origin reads when CORS is configured.
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: options.cors?.origins ? 'cross-origin' : 'same-origin' },
  })({} as unknown as IncomingMessage, collector, () => {});
  return Object.freeze(table);
}

/**
 * The hub's first `onRequest` hook: sets the security headers before any other hook can answer,
 * so a 401 from auth, a 403 from `allowIps`, a 404 and a 429 carry them like a 200 does.
 *
 * @example
 * ```ts
 * app.addHook('onRequest', securityHeadersHook(securityHeaders(options)));
 * ```
 */
export function securityHeadersHook(headers: HeaderTable): onRequestHookHandler {
  const entries = Object.entries(headers);
  return (_request, reply, done) => {
    // On the raw response, like helmet: SSE and WebSocket replies write their head themselves.
    for (const [name, value] of entries) reply.raw.setHeader(name, value);
    done();
  };
}

/**
 * The hub's middleware stack: CORS for configured origins (or, given `loopbackOrigins` and no
 * `cors` option, for loopback origins while `loopbackOrigins()` is true), and rate limiting per
 * principal (per IP for anonymous callers); the security headers are `securityHeadersHook`'s. The hub uses no
 * cookies, only bearer tokens, so there is no ambient credential for a cross-site request to ride
 * on: no CSRF surface.
 *
 * @example
 * ```ts
 * registerSecurity(app, { log, cors: { origins: ['https://app.example'] }, rateLimit: { max: 100, timeWindowMs: 1000 } });
 * ```
 */
export function registerSecurity(
  app: FastifyInstance,
  options: ServerOptions,
  loopbackOrigins?: () => boolean,
): void {
  const origins = options.cors?.origins;
  const common = {
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    exposedHeaders: EXPOSED,
    credentials: false,
    maxAge: 600,
    // An OPTIONS without Access-Control-Request-Method is no preflight: answering it 204 with the
    // CORS headers beats the plugin's text/plain 400 (every error the hub sends is JSON).
    strictPreflight: false,
  };
  if (origins !== undefined && origins.length > 0) {
    void app.register(cors, { ...common, origin: origins.includes('*') ? '*' : [...origins] });
  } else if (origins === undefined && loopbackOrigins !== undefined) {
    // No configuration on a hub without auth: pages on loopback origins may call it while it
    // listens on loopback only (the origin echoed, `Vary: Origin`); every other origin gets no
    // CORS header, and its preflight the 404 it got before.
    void app.register(cors, {
      ...common,
      origin: (origin: string | undefined, done: (error: Error | null, allow: boolean) => void) =>
        done(null, origin !== undefined && loopbackOrigins() && isLoopbackOrigin(origin)),
    });
  }
  if (options.rateLimit) {
    const { max, timeWindowMs } = options.rateLimit;
    void app.register(rateLimit, {
      max,
      timeWindow: timeWindowMs,
      // After auth, so a key's limit follows the key wherever it connects from.
      hook: 'preHandler',
      keyGenerator: (request) =>
        request.principal.id === 'anonymous' || request.principal.id === 'public'
          ? `ip:${request.ip}`
          : `key:${request.principal.id}`,
      errorResponseBuilder: (_request, context) =>
        new HeraldError(
          'RATE_LIMITED',
          `rate limit exceeded: ${context.max} requests per ${context.after}; retry later`,
          {
            details: { limit: context.max, retryAfterMs: context.ttl },
          },
        ),
    });
  }
}

/**
 * An `onRequest` hook refusing (403 `FORBIDDEN`) every address outside the list of IPs and CIDR
 * ranges (IPv4 and IPv6; an IPv4 entry also matches its IPv4-mapped IPv6 form).
 *
 * @example
 * ```ts
 * app.addHook('onRequest', ipAllowHook(['127.0.0.1', '10.0.0.0/8']));
 * ```
 */
export function ipAllowHook(entries: readonly string[]): onRequestHookHandler {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || (prefix !== undefined && !/^\d+$/.test(prefix))) {
      throw new HeraldError('INVALID_CONFIG', `allowIps: "${entry}" is not an IP address or CIDR range`, {
        details: { key: 'allowIps', value: entry },
      });
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (request, _reply, done) => {
    const ip = request.socket.remoteAddress ?? '';
    const mapped = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    const allowed = isIP(mapped) === 4 ? list.check(mapped, 'ipv4') : list.check(mapped, 'ipv6');
    if (allowed) done();
    else
      done(
        new HeraldError('FORBIDDEN', `address ${ip} is not allowed (allowIps)`, { details: { address: ip } }),
      );
  };
}
