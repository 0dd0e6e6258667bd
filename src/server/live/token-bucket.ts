/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most `burst`. Each `take()` spends
 * one; with none left it returns false and spends nothing.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(100, 100);
 * if (!bucket.take()) socket.close(1008, 'over 100 messages per second');
 * ```
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  /** `now` is a clock in milliseconds (default `performance.now`). */
  constructor(ratePerSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#rate = ratePerSecond / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Spends a token if there is one. */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
