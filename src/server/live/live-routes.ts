import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../hub-context.js';
import { LiveFeed } from './live-feed.js';
import { resolveLiveOptions, type LiveOptions } from './live-options.js';
import { sseRoute } from './sse-route.js';
import { wsRoute } from './ws-route.js';

/**
 * The hub's live delivery: `GET /v1/sse` and `GET /v1/ws`, both served by one shared tail of the
 * log (`LiveFeed`). On `app.close()` every SSE client gets a `retry:` and a comment telling it
 * to come back, every socket gets close code 1012, and then the tail stops, so closing never
 * waits on open streams. See `docs/live.md`.
 *
 * @example
 * ```ts
 * liveRoutes(api, ctx, { keepAliveMs: 15_000, maxBacklog: 10_000 });
 * ```
 */
export function liveRoutes(app: FastifyInstance, ctx: HubContext, options?: LiveOptions): void {
  const resolved = resolveLiveOptions(options);
  const feed = new LiveFeed(ctx.log, ctx.metrics, resolved);
  const sse = sseRoute(app, ctx, feed, resolved);
  const ws = wsRoute(app, ctx, feed, resolved);
  const stopSse = ctx.metrics.liveBacklog('sse', () => feed.backlog('sse'));
  const stopWs = ctx.metrics.liveBacklog('ws', () => feed.backlog('ws'));
  app.addHook('preClose', async () => {
    stopSse();
    stopWs();
    await Promise.all([sse.shutdown(), ws.shutdown()]);
    await feed.close();
  });
}
