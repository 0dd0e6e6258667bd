import type { HeraldEvent } from '../event/types.js';
import { isThenable } from './compose.js';
import type { DeliveryContext, Middleware } from './context.js';
import { RedeliverSignal } from './redeliver.js';

/** What a dead letter records: the event, why it failed, and where. */
export interface DeadLetterInput {
  event: HeraldEvent;
  error: unknown;
  attempts: number;
  subscription: string;
}

/**
 * Sends an event that failed for good (after the last retry, or at once on
 * `UnrecoverableError`) to `sink`, and ends its delivery as `dead-lettered` instead of failed.
 * The broker installs it with its dead-letter store; the entry is never routed back into the
 * subscription that failed it, only redriven on request.
 *
 * @example
 * ```ts
 * const failures: DeadLetterInput[] = [];
 * broker.subscribe('x', handler, { deadLetter: false, middleware: [deadLetter((d) => failures.push(d))] });
 * ```
 */
export function deadLetter(sink: (entry: DeadLetterInput) => void): Middleware {
  const fail = (ctx: DeliveryContext, error: unknown): void => {
    if (error instanceof RedeliverSignal) throw error;
    sink({ event: ctx.event, error, attempts: ctx.attempt, subscription: ctx.subscription });
    ctx.outcome = 'dead-lettered';
    ctx.error = error;
  };
  // Written without async so that a synchronous handler stays synchronous (the hot path).
  return (ctx, next) => {
    let result: void | Promise<void>;
    try {
      result = next();
    } catch (error) {
      fail(ctx, error);
      return;
    }
    if (isThenable(result)) return result.then(undefined, (error: unknown) => fail(ctx, error));
  };
}
