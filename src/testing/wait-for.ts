/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Give up after this long (default 5,000 ms). */
  timeoutMs?: number;
  /** Said in the error when the deadline passes. */
  message?: string;
}

/**
 * Waits until `condition` returns a truthy value (or a promise of one) and returns it, checking
 * after every turn of the event loop; fails with `message` at the deadline. Tests wait on
 * conditions with it instead of sleeping.
 *
 * @example
 * ```ts
 * const seen: string[] = [];
 * broker.subscribe('order.*', (e) => void seen.push(e.id));
 * await broker.publish('order.created', {});
 * await waitFor(() => seen.length === 1, { message: 'the order was not delivered' });
 * ```
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(
        `waitFor: ${options.message ?? 'condition not met'} within ${options.timeoutMs ?? 5_000} ms`,
      );
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A promise with its resolve and reject exposed, for handlers that a test releases by hand.
 *
 * @example
 * ```ts
 * const gate = deferred();
 * broker.subscribe('job', () => gate.promise);
 * gate.resolve();
 * ```
 */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
