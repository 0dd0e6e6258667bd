import type { HeraldEvent } from '../event/types.js';

/** Why a delivery ended without calling the handler. */
export type SkipReason = 'expired' | 'duplicate';

/**
 * What a handler and each middleware see about one delivery attempt.
 *
 * @example
 * ```ts
 * broker.subscribe('report.build', async (event, ctx) => {
 *   await buildReport(event.data, { signal: ctx.signal });
 *   console.log(`built on attempt ${ctx.attempt}`);
 * });
 * ```
 */
export interface DeliveryContext<E extends HeraldEvent = HeraldEvent> {
  readonly event: E;
  /** 1 for the first delivery, 2 for the first retry, ... (a redrive starts again at 1). */
  readonly attempt: number;
  /** True for a retry or a redrive from dead letters, false for the first delivery. */
  readonly redelivered: boolean;
  /** The subscription's name, as in `stats()` and dead letters. */
  readonly subscription: string;
  /** Aborted when the attempt times out or the broker gives up on it at close. */
  readonly signal: AbortSignal;
  /** Aborts `signal` with `reason` (the `timeout` policy uses it). */
  abort(reason: unknown): void;
  /** Ends the delivery without calling the handler, counted under `reason` in stats. */
  skip(reason: SkipReason): void;
  /**
   * How the delivery ended so far: middleware that ends it for good sets this (`deadLetter` sets
   * `'dead-lettered'`, `skip` sets the skip reason); left `'pending'`, a resolved chain counts as
   * succeeded.
   */
  outcome: DeliveryOutcome;
  /** The error that ended the delivery for good (set together with `'dead-lettered'`). */
  error: unknown;
}

/** How one delivery ended, as the dispatcher counts it. */
export type DeliveryOutcome = 'pending' | 'succeeded' | 'expired' | 'duplicate' | 'dead-lettered';

/**
 * Calls the rest of the chain (the next middleware, finally the handler). It returns a promise
 * when anything below is asynchronous, and nothing when all of it ran synchronously; `await next()`
 * works for both.
 */
export type Next = () => void | Promise<void>;

/**
 * A delivery policy: runs around the rest of the chain for every attempt. Throw to fail the
 * attempt; don't call `next` to end it without the handler (call `ctx.skip` so it is counted).
 *
 * @example
 * ```ts
 * const logTiming: Middleware = async (ctx, next) => {
 *   const t0 = performance.now();
 *   try { await next(); } finally { console.log(ctx.event.type, performance.now() - t0); }
 * };
 * broker.subscribe('orders.>', handler, { middleware: [logTiming] });
 * ```
 */
export type Middleware = (ctx: DeliveryContext, next: Next) => void | Promise<void>;
