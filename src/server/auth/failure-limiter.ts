/** Addresses tracked at most; past it the address with the oldest window is forgotten. */
const MAX_ADDRESSES = 10_000;

/** Options of `FailureLimiter`. */
export interface FailureLimiterOptions {
  /** Failures one address may make per window. */
  max: number;
  windowMs: number;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * Counts failed authentications per client address in fixed windows. Bounded: at most 10,000
 * addresses are tracked, and when full the one whose window started first is forgotten (an
 * attacker spreading over that many addresses gets no more tries per address than the limit).
 *
 * @example
 * ```ts
 * const limiter = new FailureLimiter({ max: 20, windowMs: 60_000 });
 * if (limiter.blockedFor('10.0.0.7') > 0) reply429();
 * else if (!ok) limiter.fail('10.0.0.7');
 * ```
 */
export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  // Insertion order is window-start order: a window restarts by deleting and re-adding.
  readonly #windows = new Map<string, { count: number; until: number }>();

  constructor(options: FailureLimiterOptions) {
    this.#max = options.max;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until the address may try again; 0 when it may now. */
  blockedFor(address: string): number {
    const window = this.#windows.get(address);
    if (window === undefined) return 0;
    const left = window.until - this.#now();
    if (left <= 0) {
      this.#windows.delete(address);
      return 0;
    }
    return window.count >= this.#max ? left : 0;
  }

  /** Counts one failure of the address. */
  fail(address: string): void {
    const now = this.#now();
    const window = this.#windows.get(address);
    if (window !== undefined && window.until > now) {
      window.count++;
      return;
    }
    this.#windows.delete(address);
    if (this.#windows.size >= MAX_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(address, { count: 1, until: now + this.#windowMs });
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.#windows.size;
  }
}
