import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import type { HubContext } from '../hub-context.js';

/**
 * `GET /healthz` (the process runs) and `GET /readyz` (the log answers; 503 `LOG_UNREACHABLE`
 * otherwise). Both are public, so the log's own error (a host, a port) is logged, not answered.
 */
export function healthRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/healthz', { config: { public: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (request) => {
    try {
      await ctx.log.bounds();
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: the event log does not answer');
      throw new HeraldError('LOG_UNREACHABLE', 'the event log does not answer', { cause: error });
    }
    return { status: 'ready' };
  });
}
