/**
 * A fixed-size log-scale histogram of durations: 4 buckets per power of two of microseconds (each
 * about 19% wide), from 1 us to about 35 minutes. Constant memory, O(1) record.
 */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(128);
  private total = 0;

  record(ms: number): void {
    const us = Math.max(1, Math.min(0x7fffffff, Math.round(ms * 1000)));
    const exp = 31 - Math.clz32(us);
    const frac = exp >= 2 ? (us >>> (exp - 2)) & 3 : 0;
    this.buckets[exp * 4 + frac]!++;
    this.total++;
  }

  get count(): number {
    return this.total;
  }

  /** The `p`-th percentile (0..100) in ms, the upper edge of its bucket; 0 with no samples. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) {
        const exp = i >> 2;
        const frac = i & 3;
        const upper = exp >= 2 ? (4 + frac + 1) << (exp - 2) : exp === 1 ? 3 : 1;
        return upper / 1000;
      }
    }
    return 0;
  }
}
