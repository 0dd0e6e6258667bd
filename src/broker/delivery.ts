import type { DeliveryContext, DeliveryOutcome, SkipReason } from '../delivery/context.js';
import type { HeraldEvent } from '../event/types.js';

/** Follows one publish to the end of its deliveries (`wait: 'handled'` and requests). */
export interface Tracker {
  settle(subscription: string, error: unknown, attempts: number, failed: boolean): void;
}

/**
 * One attempt to deliver one event to one subscription: the queue entry and the handler's context
 * in one object, so an attempt costs one allocation. The abort controller is made only if used.
 */
export class Delivery implements DeliveryContext {
  outcome: DeliveryOutcome = 'pending';
  error: unknown = undefined;
  /** performance.now() at start when this attempt's latency is sampled, else 0. */
  startedAt = 0;
  /** Set when a close deadline gave up on this delivery: a late completion changes nothing. */
  abandoned = false;
  private controller: AbortController | undefined;

  constructor(
    readonly event: HeraldEvent,
    readonly attempt: number,
    readonly redelivered: boolean,
    readonly subscription: string,
    readonly level: number,
    readonly tracker: Tracker | undefined,
  ) {}

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }

  skip(reason: SkipReason): void {
    this.outcome = reason;
  }

  /** The next attempt of the same event, after a failure. */
  retry(): Delivery {
    return new Delivery(this.event, this.attempt + 1, true, this.subscription, this.level, this.tracker);
  }
}
