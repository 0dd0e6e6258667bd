import { circuitBreaker } from '../delivery/circuit-breaker.js';
import type { Middleware } from '../delivery/context.js';
import { deadLetter, type DeadLetterInput } from '../delivery/dead-letter.js';
import { dedupe } from '../delivery/dedupe.js';
import { expiry } from '../delivery/expiry.js';
import { retry } from '../delivery/retry.js';
import { timeout } from '../delivery/timeout.js';
import type { SubscribeOptions } from './types.js';

/** Which kind of subscription the chain is for; an in-process one says where dead letters go. */
export type ChainKind = { durable: false; deadLetters: (input: DeadLetterInput) => void } | { durable: true };

/**
 * A subscription's policies, in the documented order: expiry, dedupe, dead letter, retry, circuit
 * breaker, the user's `middleware`, timeout.
 *
 * One list for both kinds, with two differences for a durable (log-backed) group: it has no dead
 * letter and no retry step, because the log owns both (a failed attempt is nacked, the log
 * redelivers up to `retry.maxAttempts` and dead-letters after). An in-process subscription
 * dead-letters through `deadLetters` unless `deadLetter: false`.
 */
export function policyChain(options: SubscribeOptions, kind: ChainKind): Middleware[] {
  const chain: Middleware[] = [expiry()];
  if (options.dedupe) chain.push(dedupe(options.dedupe === true ? {} : options.dedupe));
  if (!kind.durable) {
    if (options.deadLetter !== false) chain.push(deadLetter(kind.deadLetters));
    if (options.retry) chain.push(retry(options.retry));
  }
  if (options.circuitBreaker) chain.push(circuitBreaker(options.circuitBreaker));
  if (options.middleware) chain.push(...options.middleware);
  if (options.timeoutMs !== undefined) chain.push(timeout(options.timeoutMs));
  return chain;
}
