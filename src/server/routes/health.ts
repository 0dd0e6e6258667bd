import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../hub-context.js';

/** `GET /healthz` (the process runs) and `GET /readyz` (the log answers; 503 otherwise). */
export function healthRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/healthz', { config: { public: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    try {
      await ctx.log.bounds();
      return { status: 'ready' };
    } catch (error) {
      return reply.status(503).send({
        error: { code: 'LOG_UNREACHABLE', message: (error as Error).message, details: {} },
      });
    }
  });
}
