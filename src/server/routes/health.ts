import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import type { HubContext } from '../hub-context.js';

/**
 * `GET /healthz` (the process runs) and `GET /readyz` (the log answers within `READY_TIMEOUT_MS`;
 * 503 `LOG_UNREACHABLE` with `Retry-After` otherwise). Both are public, so the log's own error (a host, a port) is logged, not answered.
 */
/** How long `/readyz` waits for the log before it answers not ready. */
export const READY_TIMEOUT_MS = 2_000;

export function healthRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/healthz', { config: { public: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (request) => {
    let timer: NodeJS.Timeout | undefined;
    // A probe needs an answer, not the log's retry budget (up to 10 s on some backends).
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([ctx.log.bounds(), late]);
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: the event log does not answer');
      throw new HeraldError('LOG_UNREACHABLE', 'not ready: the event log does not answer', {
        cause: error,
        details: { timeoutMs: READY_TIMEOUT_MS },
      });
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready' };
  });
}
