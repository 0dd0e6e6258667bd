import type { HeraldError } from '../errors/herald-error.js';

/** How a retried call ends early, and what counts as worth retrying. */
export interface RetryPolicy {
  /** Give up after this long (ms); `Infinity` for as long as `stopped` says no. */
  readonly timeoutMs: number;
  /** Checked before each attempt and after each pause: when true the last error is thrown as it is. */
  readonly stopped?: () => boolean;
  /** Cuts a pause short (then `stopped` decides). */
  readonly signal?: AbortSignal;
  /** The first pause (ms); each next one doubles up to `maxWaitMs`. */
  readonly firstWaitMs: number;
  readonly maxWaitMs: number;
  /** Whether an error says the server is away or not ready (anything else is thrown at once). */
  readonly isTransient: (error: unknown) => boolean;
  /** The error thrown when the deadline passes, built from the last one. */
  readonly unreachable: (error: unknown) => HeraldError;
}

/**
 * A pause that an abort cuts short.
 *
 * @example
 * ```ts
 * await pause(100, signal);
 * ```
 */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return void resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `attempt`, and again after a doubling pause each time it fails with a transient error,
 * until `timeoutMs` passed: then `policy.unreachable(lastError)`. Other errors are thrown at once.
 * Each attempt must be safe to repeat. Shared by the backends that talk to a server.
 *
 * @example
 * ```ts
 * const rows = await retryTransient(() => pool.query(sql), {
 *   timeoutMs: 10_000, firstWaitMs: 50, maxWaitMs: 1_000, isTransient, unreachable,
 * });
 * ```
 */
export async function retryTransient<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const deadline = Date.now() + policy.timeoutMs;
  for (let wait = policy.firstWaitMs; ; wait = Math.min(wait * 2, policy.maxWaitMs)) {
    try {
      return await attempt();
    } catch (error) {
      if (!policy.isTransient(error) || policy.stopped?.() === true) throw error;
      if (Date.now() + wait > deadline) throw policy.unreachable(error);
      await pause(wait, policy.signal);
      if (policy.stopped?.() === true) throw error;
    }
  }
}
