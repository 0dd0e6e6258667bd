import { HeraldError } from '../errors/herald-error.js';
import type { Middleware } from './context.js';

/**
 * Fails an attempt that runs longer than `ms` with `HANDLER_TIMEOUT` and aborts `ctx.signal`, so a
 * handler that passes the signal on (fetch, database drivers) stops its work. A handler that
 * ignores the signal keeps running, but its worker slot is released.
 *
 * @example
 * ```ts
 * broker.subscribe('thumbnail.render', render, { timeoutMs: 5_000 });
 * ```
 */
export function timeout(ms: number): Middleware {
  if (!(ms > 0)) throw new RangeError('timeout: ms must be > 0');
  return (ctx, next) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new HeraldError(
          'HANDLER_TIMEOUT',
          `handler of "${ctx.subscription}" timed out after ${ms} ms`,
          {
            details: { subscription: ctx.subscription, timeoutMs: ms, attempt: ctx.attempt },
          },
        );
        ctx.abort(err);
        reject(err);
      }, ms);
      Promise.resolve(next()).then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
}
