/**
 * A seeded pseudo-random generator (mulberry32) returning numbers in [0, 1): tests and benchmarks
 * that draw random input use it so that a failing run replays exactly from its seed.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
