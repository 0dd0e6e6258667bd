/** Entries of each map kept at most; past it the oldest is forgotten. */
const MAX_REDRIVE_MARKS = 100_000;

/**
 * What this broker knows about its durable groups' dead letters beyond the one string the log
 * keeps: the thrown value of each dead letter its members made (while it is in memory), which
 * positions it redrove (so their next delivery says `redelivered`), and each group's dead-letter
 * count as last read from the log (for the synchronous `stats()`). Keys are `group@position`,
 * the dead letters' ids.
 *
 * @example
 * ```ts
 * const marks = new DurableMarks(10_000);
 * marks.rememberCause('billing', 42, error);
 * marks.cause('billing', 42); // error
 * ```
 */
export class DurableMarks {
  readonly #causes = new Map<string, unknown>();
  readonly #redriven = new Set<string>();
  readonly #counts = new Map<string, number>();
  readonly #maxCauses: number;

  constructor(maxCauses: number) {
    this.#maxCauses = maxCauses;
  }

  rememberCause(group: string, position: number, cause: unknown): void {
    const key = `${group}@${position}`;
    this.#causes.delete(key);
    this.#causes.set(key, cause);
    if (this.#causes.size > this.#maxCauses) this.#causes.delete(this.#causes.keys().next().value!);
  }

  hasCause(group: string, position: number): boolean {
    return this.#causes.has(`${group}@${position}`);
  }

  cause(group: string, position: number): unknown {
    return this.#causes.get(`${group}@${position}`);
  }

  /** The dead letters left the log (redriven or purged): their causes go. */
  forget(group: string, positions: readonly number[]): void {
    for (const p of positions) this.#causes.delete(`${group}@${p}`);
  }

  markRedriven(group: string, positions: readonly number[]): void {
    for (const p of positions) {
      this.#redriven.add(`${group}@${p}`);
      if (this.#redriven.size > MAX_REDRIVE_MARKS)
        this.#redriven.delete(this.#redriven.values().next().value!);
    }
  }

  /** Whether this delivery is the redrive of a dead letter (answered once per redrive). */
  takeRedriven(group: string, position: number): boolean {
    return this.#redriven.delete(`${group}@${position}`);
  }

  setCount(group: string, deadLetters: number): void {
    this.#counts.set(group, deadLetters);
  }

  count(group: string): number {
    return this.#counts.get(group) ?? 0;
  }
}
