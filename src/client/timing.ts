/** How a client retries: exponential backoff with jitter, from the hub's `retry:` when it sent one. */
export interface RetryOptions {
  /** The first delay when the hub has not sent `retry:` (default 1,000 ms). */
  initialMs?: number;
  /** The longest delay (default 30,000 ms). */
  maxMs?: number;
  /** Give up after this many failures in a row (default: never). */
  maxAttempts?: number;
}

/**
 * The delay before attempt `failures + 1`: `base * 2^failures`, capped at `maxMs`, then scaled by
 * a random factor in [0.5, 1) ("equal jitter"), so clients dropped together do not come back
 * together. `base` is the hub's `retry:` when it sent one.
 *
 * @example
 * ```ts
 * backoffDelay(2, 1_000, 30_000); // between 2,000 and 4,000
 * ```
 */
export function backoffDelay(failures: number, base: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, base * 2 ** Math.min(failures, 30));
  return Math.round(exp * (0.5 + random() / 2));
}

/**
 * Waits `ms`, or less when `signal` aborts (it never rejects).
 *
 * @example
 * ```ts
 * await sleep(1_000, controller.signal);
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * An `AbortController` aborted when any of `signals` aborts (a small `AbortSignal.any`), and a
 * function that detaches it from them.
 *
 * @example
 * ```ts
 * const { controller, detach } = linkedController([options.signal, client.signal]);
 * ```
 */
export function linkedController(signals: readonly (AbortSignal | undefined)[]): {
  controller: AbortController;
  detach: () => void;
} {
  const controller = new AbortController();
  const listeners: (() => void)[] = [];
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const abort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    listeners.push(() => signal.removeEventListener('abort', abort));
  }
  return { controller, detach: () => listeners.forEach((remove) => remove()) };
}

/**
 * Milliseconds from a `Retry-After` header (seconds or an HTTP date), or undefined.
 *
 * @example
 * ```ts
 * retryAfterMs(res.headers.get('retry-after')); // 2000 for "2"
 * ```
 */
export function retryAfterMs(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
