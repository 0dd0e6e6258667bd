import type { GroupDeadLetter } from '../../log/types.js';
import { normaliseError } from './normalise-error.js';

/** Sample positions kept per error group. */
export const ERROR_GROUP_SAMPLES = 20;

/** The longest example error a group carries; longer raw errors are cut (with `…`). */
export const MAX_EXAMPLE_ERROR = 1_000;

/** Dead letters that share one normalised error. */
export interface ErrorGroup {
  /** The normalised error (`normaliseError`), or `null` for dead letters with no error. */
  readonly error: string | null;
  readonly count: number;
  /** The earliest and latest dead-letter times of the group (RFC 3339). */
  readonly firstDeadAt: string;
  readonly lastDeadAt: string;
  /** The first `ERROR_GROUP_SAMPLES` positions, in position order. */
  readonly positions: number[];
  /**
   * The raw error of the group's latest dead letter (at most `MAX_EXAMPLE_ERROR` characters),
   * `null` when the group has no error: what one of them really said, numbers and ids included.
   */
  readonly example: string | null;
}

/** The normalised error of a dead letter, `null` when it has none. */
export function normalisedErrorOf(dead: GroupDeadLetter): string | null {
  return dead.error === undefined ? null : normaliseError(dead.error);
}

/**
 * Dead letters grouped by normalised error, by count (most first), then by the earliest time,
 * then by error text: the same dead letters always give the same order.
 *
 * @example
 * ```ts
 * const groups = groupByError(await group.deadLetters({ limit: 10_000 }));
 * groups[0]; // { error: 'timeout after <n> ms', count: 41, firstDeadAt, lastDeadAt, positions: [...] }
 * ```
 */
export function groupByError(deadLetters: readonly GroupDeadLetter[]): ErrorGroup[] {
  const groups = new Map<
    string | null,
    {
      error: string | null;
      count: number;
      first: number;
      last: number;
      positions: number[];
      example: string | null;
    }
  >();
  for (const dead of deadLetters) {
    const error = normalisedErrorOf(dead);
    const at = Date.parse(dead.at);
    let entry = groups.get(error);
    if (entry === undefined) {
      entry = { error, count: 0, first: at, last: at, positions: [], example: dead.error ?? null };
      groups.set(error, entry);
    }
    entry.count++;
    if (at < entry.first) entry.first = at;
    if (at > entry.last) {
      entry.last = at;
      entry.example = dead.error ?? null;
    }
    if (entry.positions.length < ERROR_GROUP_SAMPLES) entry.positions.push(dead.event.position);
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || a.first - b.first || byText(a.error, b.error))
    .map((g) => ({
      error: g.error,
      count: g.count,
      firstDeadAt: new Date(g.first).toISOString(),
      lastDeadAt: new Date(g.last).toISOString(),
      positions: g.positions.sort((a, b) => a - b),
      example:
        g.example === null || g.example.length <= MAX_EXAMPLE_ERROR
          ? g.example
          : `${g.example.slice(0, MAX_EXAMPLE_ERROR - 1)}…`,
    }));
}

/** `null` first, then by UTF-16 code units (not the locale: the order must not depend on it). */
function byText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
