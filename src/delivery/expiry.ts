import { timestampMillis } from '../event/timestamp.js';
import type { Middleware } from './context.js';

/**
 * Skips events whose `expiresat` has passed by the time they are delivered (counted as
 * `expired` in stats, never handed to the handler). Events without `expiresat` never expire.
 * Installed on every subscription.
 *
 * @example
 * ```ts
 * await broker.publish('presence.ping', data, { ttlMs: 5_000 }); // sets expiresat
 * ```
 */
export function expiry(now: () => number = Date.now): Middleware {
  return (ctx, next) => {
    const at = ctx.event.expiresat;
    if (at !== undefined && timestampMillis(at) <= now()) {
      ctx.skip('expired');
      return;
    }
    return next();
  };
}
