import { HeraldError } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import { closedError } from './broker-errors.js';
import { HandledTracker } from './handled-tracker.js';
import type { SubscriptionRuntime } from './subscription-runtime.js';
import type { PublishOptions } from './types.js';

/**
 * Delivers a published (and, with a log, stored) event to the in-process subscriptions its type
 * routes to, and counts what was published and what nobody matched.
 */
export class Dispatcher {
  published = 0;
  unrouted = 0;
  readonly #route: (type: string) => readonly SubscriptionRuntime[];
  readonly #closed: () => boolean;

  constructor(route: (type: string) => readonly SubscriptionRuntime[], closed: () => boolean) {
    this.#route = route;
    this.#closed = closed;
  }

  /**
   * Offers `event` to every target. Resolves once each has queued it (`'accepted'`) or handled it
   * (`'handled'`); `QUEUE_FULL` when a full subscription refused it and nobody waits for handling.
   */
  dispatch(event: HeraldEvent, wait: PublishOptions['wait']): Promise<HeraldEvent> {
    if (this.#closed()) return Promise.reject(closedError());
    let targets: readonly SubscriptionRuntime[];
    try {
      targets = this.#route(event.type);
    } catch (error) {
      return Promise.reject(error);
    }
    this.published++;
    if (targets.length === 0) {
      this.unrouted++;
      return Promise.resolve(event);
    }
    let tracker: HandledTracker | undefined;
    if (wait === 'handled') tracker = new HandledTracker(event, targets.length);
    let blocked: Promise<void>[] | undefined;
    let refused: HeraldError[] | undefined;
    for (const sub of targets) {
      const offered = sub.offer(event, tracker);
      if (offered === true) continue;
      if (offered instanceof HeraldError) {
        (refused ??= []).push(offered);
        tracker?.settle(sub.name, offered, 0, true);
      } else {
        (blocked ??= []).push(offered);
      }
    }
    if (blocked === undefined && refused === undefined)
      return tracker ? tracker.promise : Promise.resolve(event);
    const settled = blocked ? Promise.all(blocked) : Promise.resolve();
    return settled.then(() => {
      if (refused && !tracker) {
        const names = refused.map((e) => e.details.subscription as string);
        throw new HeraldError(
          'QUEUE_FULL',
          `event "${event.type}" refused by full subscription(s) ${names.join(', ')}; ${targets.length - refused.length} other(s) accepted it`,
          {
            details: {
              id: event.id,
              type: event.type,
              subscriptions: names,
              accepted: targets.length - refused.length,
            },
            cause: refused[0],
          },
        );
      }
      return tracker ? tracker.promise : event;
    });
  }
}
