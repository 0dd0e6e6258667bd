import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import { readPatterns } from '../auth/principal.js';
import type { HubContext } from '../hub-context.js';
import { patternList, single } from '../routes/query-params.js';
import type { LiveFeed } from './live-feed.js';
import type { ResolvedLiveOptions } from './live-options.js';
import { SseClient } from './sse-client.js';
import { resolveStart, type StartPoint } from './start-position.js';

/** What the hub needs to stop the SSE endpoint. */
export interface SseEndpoint {
  /** Tells every client to come back later, ends the streams, and waits (up to the grace). */
  shutdown(): Promise<void>;
}

/**
 * `GET /v1/sse?types=<patterns>&from=<start|end|position|time>&lastEventId=<position>&named=true`:
 * the live events a caller may read as Server-Sent Events, from the shared feed. Everything that
 * can be refused (patterns, permissions, positions) is checked before the stream starts, so it
 * fails with the usual JSON error; once streaming, the response ends only with a comment saying
 * why. See `docs/live.md`.
 *
 * @example
 * ```ts
 * const sse = sseRoute(app, ctx, feed, resolveLiveOptions(options.live));
 * app.addHook('preClose', () => sse.shutdown());
 * ```
 */
export function sseRoute(
  app: FastifyInstance,
  ctx: HubContext,
  feed: LiveFeed,
  options: ResolvedLiveOptions,
): SseEndpoint {
  const clients = new Set<SseClient>();
  let keepAlive: NodeJS.Timeout | undefined;
  let closing = false;

  app.get('/v1/sse', async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>;
    const patterns = readPatterns(request.principal, patternList(query.types));
    // Unnamed by default, so a browser's `onmessage` (what every tutorial uses) gets every event;
    // `named=true` sends `event: <type>` for `addEventListener(type, ...)` dispatch.
    const named = flag(single(query.named), 'named', false);
    const header = single(request.headers['last-event-id']);
    let start: StartPoint;
    try {
      start = await resolveStart(ctx.log, feed.head, {
        from: single(query.from),
        lastEventId: header ?? single(query.lastEventId),
        names: { from: 'from', lastEventId: header !== undefined ? 'Last-Event-ID' : 'lastEventId' },
      });
    } catch (error) {
      if (!(error instanceof HeraldError) || error.code !== 'LOG_UNREACHABLE') throw error;
      // A browser's EventSource (and the eventsource package) gives up for good on any answer but
      // a 200 event stream. So an outage gets a stream that only says when to come back: the
      // client reconnects by itself, with its Last-Event-ID, and resumes once the log answers.
      request.log.warn({ err: error }, 'sse: the event log does not answer; told the client to retry');
      reply.hijack();
      reply.raw.writeHead(200, streamHeaders(request, reply));
      reply.raw.end(
        request.method === 'HEAD'
          ? undefined
          : `retry: ${options.retryMs}\n: herald: LOG_UNREACHABLE the event log does not answer; reconnect in ${options.retryMs} ms\n\n`,
      );
      return;
    }

    // From here on the response is ours: Fastify's serializers and onSend hooks no longer run.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, streamHeaders(request, reply, start));
    if (request.method === 'HEAD') {
      res.end();
      return;
    }
    const client = new SseClient(res, {
      named,
      retryMs: options.retryMs,
      closeGraceMs: options.closeGraceMs,
      expiresAt: request.principal.expiresAt,
      onGone: (reason) => {
        if (!clients.delete(client)) return;
        ctx.metrics.clientClosed('sse', reason);
        if (clients.size === 0) keepAlive = stop(keepAlive);
      },
    });
    // `id:` alone sets the browser's last event id without an event: a reconnect before the
    // first event resumes from here instead of from `end` again.
    res.write(`retry: ${options.retryMs}\nid: ${start.after}\n${notes(start)}\n`);
    if (closing) {
      client.shutdown();
      return;
    }
    clients.add(client);
    ctx.metrics.clientOpened('sse');
    keepAlive ??= setInterval(() => {
      for (const c of clients) c.keepAlive();
    }, options.keepAliveMs).unref();
    client.attach(
      feed.subscribe({ after: start.after, patterns, principal: request.principal, sink: client }),
    );
  });

  return {
    async shutdown() {
      closing = true;
      keepAlive = stop(keepAlive);
      const open = [...clients];
      for (const client of open) client.shutdown();
      await settleWithin(
        open.map((c) => c.closed()),
        options.closeGraceMs,
      );
      for (const client of open) client.destroy();
    },
  };
}

function streamHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  start?: StartPoint,
): OutgoingHttpHeaders {
  // Headers that hooks set on the reply (CORS, security, rate limits) still go out.
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value;
  }
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache, no-transform';
  headers['x-accel-buffering'] = 'no';
  headers['x-request-id'] = request.id;
  if (start?.lost) headers['herald-events-lost'] = `${start.lost.from}-${start.lost.to}`;
  return headers;
}

function notes(start: StartPoint): string {
  let text = '';
  if (start.lost) {
    text += `: herald: events ${start.lost.from}-${start.lost.to} are no longer in the log (retention); continuing after them\n`;
  }
  if (start.reset) {
    text += `: herald: Last-Event-ID ${start.reset.requested} is past the end of the log (${start.reset.last}); starting at the end\n`;
  }
  return text;
}

function flag(value: string | undefined, name: string, byDefault: boolean): boolean {
  if (value === undefined) return byDefault;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new HeraldError('INVALID_QUERY', `${name} must be true or false, got "${value}"`, {
    details: { parameter: name, value },
  });
}

function stop(timer: NodeJS.Timeout | undefined): undefined {
  clearInterval(timer);
  return undefined;
}

/**
 * Waits for every promise, or until `ms` passed, whichever is first.
 *
 * @example
 * ```ts
 * await settleWithin(clients.map((c) => c.closed()), 5_000);
 * ```
 */
export async function settleWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(promises), deadline]);
  clearTimeout(timer);
}
