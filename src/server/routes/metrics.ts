import type { FastifyInstance } from 'fastify';
import { assertAdmin } from '../auth/principal.js';
import type { HubContext } from '../hub-context.js';

/** Options of `metricsRoutes`. */
export interface MetricsRouteOptions {
  /** Serve `/metrics` to anyone, without a token (`ServerOptions.metricsPublic`); default admins only. */
  public?: boolean;
}

/**
 * `GET /metrics`: the hub's Prometheus metrics (text format 0.0.4), with the log's group gauges
 * read at scrape time. Admins only unless `public`. See `docs/metrics.md`.
 *
 * @example
 * ```ts
 * metricsRoutes(app, ctx, { public: options.metricsPublic === true });
 * ```
 */
export function metricsRoutes(
  app: FastifyInstance,
  ctx: HubContext,
  options: MetricsRouteOptions = {},
): void {
  const isPublic = options.public === true;
  const { registry } = ctx.metrics;
  ctx.metrics.watchLog(ctx.log);
  app.get('/metrics', { config: isPublic ? { public: true } : {} }, async (request, reply) => {
    if (!isPublic) assertAdmin(request.principal);
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
