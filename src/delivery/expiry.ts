import { timestampMillis } from '../event/timestamp.js';
import type { HeraldEvent } from '../event/types.js';
import type { Middleware } from './context.js';

/**
 * Whether `event` has an `expiresat` that has passed at `nowMs`: the test the `expiry` step makes,
 * for runners that make it themselves before their chain (the broker's subscriptions do).
 *
 * @example
 * ```ts
 * if (isExpired(event, Date.now())) return; // skip it
 * ```
 */
export function isExpired(event: HeraldEvent, nowMs: number): boolean {
  const at = event.expiresat;
  return at !== undefined && timestampMillis(at) <= nowMs;
}

/**
 * Skips events whose `expiresat` has passed by the time they are delivered (counted as
 * `expired` in stats, never handed to the handler). Events without `expiresat` never expire.
 * Every broker subscription makes this check before its other policies (see `isExpired`); the
 * middleware is for chains composed by hand.
 *
 * @example
 * ```ts
 * await broker.publish('presence.ping', data, { ttlMs: 5_000 }); // sets expiresat
 * ```
 */
export function expiry(now: () => number = Date.now): Middleware {
  return (ctx, next) => {
    if (ctx.event.expiresat !== undefined && isExpired(ctx.event, now())) {
      ctx.skip('expired');
      return;
    }
    return next();
  };
}
