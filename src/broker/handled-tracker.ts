import { HandlerFailedError, type HandlerFailure } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import type { Tracker } from './delivery.js';

/** Collects the final outcome of each subscription for a `wait: 'handled'` publish. */
export class HandledTracker implements Tracker {
  readonly promise: Promise<HeraldEvent>;
  #resolve!: (event: HeraldEvent) => void;
  #reject!: (error: unknown) => void;
  readonly #failures: HandlerFailure[] = [];
  readonly #event: HeraldEvent;
  #remaining: number;

  constructor(event: HeraldEvent, remaining: number) {
    this.#event = event;
    this.#remaining = remaining;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  settle(subscription: string, error: unknown, attempts: number, failed: boolean): void {
    if (failed) this.#failures.push({ subscription, error, attempts });
    if (--this.#remaining > 0) return;
    if (this.#failures.length > 0) this.#reject(new HandlerFailedError(this.#event.type, this.#failures));
    else this.#resolve(this.#event);
  }
}
