import { RetryLaterError, UnrecoverableError } from '../errors/herald-error.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { DeliveryContext, Middleware } from './context.js';
import { RedeliverSignal } from './redeliver.js';

/** Options of the `retry` policy. */
export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first included (default 3). 1 means never retry. */
  maxAttempts?: number;
  /** Which failures are worth another attempt (default: all but `UnrecoverableError`). */
  retryable?: (error: unknown, ctx: DeliveryContext) => boolean;
}

/**
 * Retries a failed attempt with exponential backoff and full jitter. The event goes back to the
 * subscription's queue after the delay (no worker is held while waiting); `RetryLaterError(ms)`
 * asks for an exact delay. After the last attempt the error passes on (to `deadLetter`).
 *
 * @example
 * ```ts
 * broker.subscribe('invoice.send', send, { retry: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 } });
 * ```
 */
export function retry(options: RetryOptions = {}): Middleware {
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError('retry: maxAttempts must be an integer >= 1');
  const retryable = options.retryable;
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof RedeliverSignal || error instanceof UnrecoverableError) throw error;
      if (ctx.attempt >= maxAttempts) throw error;
      if (retryable && !retryable(error, ctx)) throw error;
      const delay = error instanceof RetryLaterError ? error.delayMs : backoffDelay(ctx.attempt, options);
      throw new RedeliverSignal(delay, error);
    }
  };
}
