import { circuitBreaker } from '../delivery/circuit-breaker.js';
import type { Middleware } from '../delivery/context.js';
import { deadLetter, type DeadLetterInput } from '../delivery/dead-letter.js';
import { dedupe } from '../delivery/dedupe.js';
import { retry } from '../delivery/retry.js';
import { timeout } from '../delivery/timeout.js';
import type { SubscribeOptions } from './types.js';

/** Which kind of subscription the chain is for; an in-process one says where dead letters go. */
export type ChainKind = { durable: false; deadLetters: (input: DeadLetterInput) => void } | { durable: true };

/** A subscription's policies: the steps its runner makes itself, and the middleware after them. */
export interface Policies {
  /**
   * Where the runner sends a final failure itself, when dead letter is the outermost step after
   * expiry (in process, without `dedupe`); otherwise it is a middleware, or there is none.
   */
  deadLetter: ((input: DeadLetterInput) => void) | undefined;
  /** The rest of the list, outermost first, composed around the handler. */
  middleware: Middleware[];
}

/**
 * A subscription's policies, in the documented order: expiry, dedupe, dead letter, retry, circuit
 * breaker, the user's `middleware`, timeout.
 *
 * One list for both kinds, with two differences for a durable (log-backed) group: it has no dead
 * letter and no retry step, because the log owns both (a failed attempt is nacked, the log
 * redelivers up to `retry.maxAttempts` and dead-letters after). An in-process subscription
 * dead-letters through `deadLetters` unless `deadLetter: false`.
 *
 * The outermost steps cost a closure per delivery as middleware, so the runners make them inline:
 * expiry always (both kinds check `isExpired` before the chain), and dead letter when nothing
 * comes between it and expiry (no `dedupe`). A subscription with default options then runs its
 * handler with no middleware at all.
 */
export function policyChain(options: SubscribeOptions, kind: ChainKind): Policies {
  const middleware: Middleware[] = [];
  let inline: Policies['deadLetter'];
  if (options.dedupe) middleware.push(dedupe(options.dedupe === true ? {} : options.dedupe));
  if (!kind.durable) {
    if (options.deadLetter !== false) {
      if (middleware.length === 0) inline = kind.deadLetters;
      else middleware.push(deadLetter(kind.deadLetters));
    }
    if (options.retry) middleware.push(retry(options.retry));
  }
  if (options.circuitBreaker) middleware.push(circuitBreaker(options.circuitBreaker));
  if (options.middleware) middleware.push(...options.middleware);
  if (options.timeoutMs !== undefined) middleware.push(timeout(options.timeoutMs));
  return { deadLetter: inline, middleware };
}
