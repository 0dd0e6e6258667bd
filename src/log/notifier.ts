const MAX_TIMER = 2 ** 31 - 1;

/**
 * One-shot wake-ups without polling: waiters register a listener, `notify` calls and forgets every
 * listener registered so far. Listeners are removed when their wait ends another way, so a loop
 * of timed-out waits leaves nothing behind. Any backend can use it to wake its waiting readers
 * after an append in the same process.
 *
 * @example
 * ```ts
 * const appended = new Notifier();
 * const off = appended.on(() => console.log('new events'));
 * appended.notify(); // logs once; the listener is gone
 * off(); // no-op now
 * ```
 */
export class Notifier {
  readonly #listeners = new Set<() => void>();

  /** Calls `listener` at the next `notify`; returns a function that cancels it. */
  on(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  notify(): void {
    if (this.#listeners.size === 0) return;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }
}

/**
 * Resolves at the first of: a notification of any of `notifiers`, `timeoutMs` passing (when
 * given; clamped to what `setTimeout` can wait), `signal` aborting. Cleans up the others.
 *
 * @example
 * ```ts
 * await waitForAny([appended, changed], 1_000, signal);
 * ```
 */
export function waitForAny(
  notifiers: readonly Notifier[],
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      for (const off of offs) off();
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    if (signal?.aborted === true) return void resolve();
    for (const notifier of notifiers) offs.push(notifier.on(done));
    // setTimeout fires at once for delays past 2^31 - 1 ms; a shorter wait just loops once more.
    if (timeoutMs !== undefined)
      timer = setTimeout(done, Math.min(Math.max(0, Math.ceil(timeoutMs)), MAX_TIMER));
    signal?.addEventListener('abort', done, { once: true });
  });
}
