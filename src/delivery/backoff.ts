/** Exponential backoff settings shared by `retry` and durable redelivery. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms (default 100). */
  baseDelayMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Upper bound on any delay, in ms (default 30,000). */
  maxDelayMs?: number;
  /** `'full'` (default) draws uniformly in [0, delay]; `'none'` uses the exact delay. */
  jitter?: 'full' | 'none';
}

/**
 * The delay before retry number `retry` (1 for the first retry): exponential, capped, with full
 * jitter by default so that many failing consumers do not retry in lockstep.
 *
 * @example
 * ```ts
 * backoffDelay(3, { baseDelayMs: 100, jitter: 'none' }); // 400
 * ```
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { baseDelayMs = 100, factor = 2, maxDelayMs = 30_000, jitter = 'full' } = options;
  const exact = Math.min(maxDelayMs, baseDelayMs * factor ** Math.max(0, retry - 1));
  return jitter === 'full' ? Math.floor(random() * exact) : exact;
}
