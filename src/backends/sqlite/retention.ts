import type { Statements } from './statements.js';
import type { Round } from './write-queue.js';

/** The checked retention limits. */
export interface RetentionLimits {
  readonly maxEvents: number | undefined;
  readonly maxAgeMs: number | undefined;
}

// One round deletes at most this many events, so a large backlog of expired events never makes
// one transaction (and every append waiting on it) long; the next rounds take the rest.
const CHUNK = 10_000;

/**
 * Deletes the oldest events the limits no longer allow, at most one chunk; returns how many.
 * Runs inside a write round. `maxEvents` counts stored events exactly (the count is kept in
 * `log_stats`); `maxAgeMs` uses the recorded time, which never decreases along positions, so the
 * expired events are always the oldest ones.
 *
 * @example
 * ```ts
 * const deleted = applyRetentionChunk(sql, { maxEvents: 1000, maxAgeMs: undefined }, round);
 * ```
 */
export function applyRetentionChunk(sql: Statements, limits: RetentionLimits, round: Round): number {
  let cut = 0;
  if (limits.maxEvents !== undefined) {
    const { events } = sql['select-event-count'].get() as { events: number };
    const excess = events + round.eventDelta - limits.maxEvents;
    // Infinity only if the count disagreed with the rows: then delete nothing rather than all.
    if (excess > 0) cut = nthPosition(sql, Math.min(excess, CHUNK) - 1);
    if (cut === Number.POSITIVE_INFINITY) cut = 0;
  }
  if (limits.maxAgeMs !== undefined) {
    const expired = sql['select-last-before'].get(round.now - limits.maxAgeMs) as
      { position: number } | undefined;
    if (expired !== undefined && expired.position > cut) {
      cut = Math.min(expired.position, nthPosition(sql, CHUNK - 1));
    }
  }
  if (cut <= 0) return 0;
  const deleted = sql['delete-events-through'].run(cut).changes;
  round.eventDelta -= deleted;
  return deleted;
}

/** The position of the (n+1)-th oldest stored event, or Infinity when there are fewer. */
function nthPosition(sql: Statements, n: number): number {
  const row = sql['select-nth-position'].get(n) as { position: number } | undefined;
  return row?.position ?? Number.POSITIVE_INFINITY;
}
