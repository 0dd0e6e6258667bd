import { Notifier } from '../notifier.js';

/**
 * A `Notifier` that also counts its notifications. A reader notes `seq` before it queries and,
 * when the query found nothing, waits only if `seq` is unchanged: a notification that arrived
 * while the query ran is not lost to the gap between the query and the wait.
 *
 * @example
 * ```ts
 * const seen = appended.seq;
 * const page = await readPage();
 * if (page.length === 0 && appended.seq === seen) await waitForAny([appended.notifier], 1000, signal);
 * ```
 */
export class Wakeup {
  readonly notifier = new Notifier();
  #seq = 0;

  /** How many times `fire` ran. */
  get seq(): number {
    return this.#seq;
  }

  fire(): void {
    this.#seq++;
    this.notifier.notify();
  }
}
