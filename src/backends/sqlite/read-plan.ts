import type { ReadFilter } from '../../log/read-filter.js';
import type { Statements } from './statements.js';
import type { StoredEvent } from '../../log/types.js';
import { typeSet, type TypeSet } from './type-set.js';

/** The highest position or version a query bound takes. */
export const MAX_POSITION = Number.MAX_SAFE_INTEGER;

/**
 * A read in progress: which index drives it, its position range, and where the next page starts.
 * Reads, subscriptions and group pulls all walk the log with one.
 */
export interface ReadPlan {
  readonly forward: boolean;
  readonly stream: string | undefined;
  readonly correlation: string | undefined;
  readonly types: TypeSet | undefined;
  /** Positions wanted, inclusive. */
  readonly lo: number;
  readonly hi: number;
  /** The last position returned (the last version, for a stream): the next page starts after it. */
  cursor: number;
}

/**
 * The last position ever assigned (0 before the first append): what `'end'` means.
 *
 * @example
 * ```ts
 * const end = lastPosition(sql);
 * ```
 */
export function lastPosition(sql: Statements): number {
  return (sql['select-last-position'].get() as { position: number }).position;
}

/**
 * The first position recorded at or after `ms`, if any. Recorded times never decrease along
 * positions, so every later position is too.
 *
 * @example
 * ```ts
 * firstRecordedAtOrAfter(sql, Date.parse('2026-01-01T00:00:00Z'));
 * ```
 */
export function firstRecordedAtOrAfter(sql: Statements, ms: number): number | undefined {
  return (sql['select-first-at-or-after'].get(ms) as { position: number } | undefined)?.position;
}

function lastRecordedBefore(sql: Statements, ms: number): number | undefined {
  return (sql['select-last-before'].get(ms) as { position: number } | undefined)?.position;
}

/**
 * Turns a checked `ReadFilter` into a plan: `from`, `after` and `before` become a position range
 * (times seek the `recorded_at` index once), ending at the last position assigned now: events
 * appended during the read are for `subscribe`.
 *
 * @example
 * ```ts
 * const plan = planRead(sql, readFilter({ types: ['order.>'] }));
 * ```
 */
export function planRead(sql: Statements, filter: ReadFilter): ReadPlan {
  const forward = filter.direction === 'forward';
  const last = lastPosition(sql);
  const { from, afterMs, beforeMs, stream, fromVersion } = filter;
  let lo = 1;
  let hi = last;
  if (forward) {
    if (from === 'end') lo = last + 1;
    else if (from instanceof Date) lo = firstRecordedAtOrAfter(sql, from.getTime()) ?? last + 1;
    else if (typeof from === 'number') lo = Math.max(from, 1);
  } else if (from === 'start') hi = 0;
  else if (from instanceof Date) hi = lastRecordedBefore(sql, Math.floor(from.getTime()) + 1) ?? 0;
  else if (typeof from === 'number') hi = Math.min(from, last);
  if (afterMs !== undefined) lo = Math.max(lo, firstRecordedAtOrAfter(sql, afterMs) ?? last + 1);
  if (beforeMs !== undefined) hi = Math.min(hi, lastRecordedBefore(sql, beforeMs) ?? 0);
  let cursor = forward ? lo - 1 : hi + 1;
  if (stream !== undefined) cursor = forward ? (fromVersion ?? 1) - 1 : (fromVersion ?? MAX_POSITION - 1) + 1;
  return { forward, stream, correlation: filter.correlationId, types: typeSet(filter.types), lo, hi, cursor };
}

/**
 * Reads the next page of a plan (at most `limit` stored events, as JSON) and moves its cursor. The query is chosen
 * by the most selective index the plan allows: stream, correlation id, a single type, else the
 * position key. Run it inside one transaction: the type registry, the page and the last position
 * must come from the same snapshot. A forward page that comes back short has seen everything up
 * to the last position, so the cursor jumps there and a sparse filter never rescans what it
 * passed.
 *
 * @example
 * ```ts
 * const rows = db.transaction(() => readPage(sql, plan, 1000))();
 * ```
 */
export function readPage(sql: Statements, plan: ReadPlan, limit: number): string[] {
  let types: string | null = null;
  let rows: string[] = [];
  if (plan.types !== undefined) {
    plan.types.refresh(sql);
    types = plan.types.json;
  }
  const dir = plan.forward ? 'forward' : 'backward';
  const bind = { cursor: plan.cursor, lo: plan.lo, hi: plan.hi, limit, types };
  if (plan.types?.types.length === 0) {
    rows = [];
  } else if (plan.stream !== undefined) {
    const params = { ...bind, stream: plan.stream, correlation: plan.correlation ?? null };
    rows = sql[`read-by-stream-${dir}`].all(params) as string[];
  } else if (plan.correlation !== undefined) {
    rows = sql[`read-by-correlation-${dir}`].all({ ...bind, correlation: plan.correlation }) as string[];
  } else if (plan.types?.types.length === 1) {
    rows = sql[`read-by-type-${dir}`].all({ ...bind, type: plan.types.types[0] }) as string[];
  } else {
    rows = sql[`read-by-position-${dir}`].all(bind) as string[];
  }
  const lastRow = rows.at(-1);
  if (lastRow !== undefined) {
    // One parse per page: the rows are JSON, and the caller parses each when it uses it.
    const event = JSON.parse(lastRow) as StoredEvent;
    plan.cursor = plan.stream === undefined ? event.position : event.version!;
  }
  if (rows.length < limit && plan.forward && plan.stream === undefined) {
    const end = Math.min(plan.hi, lastPosition(sql));
    if (end > plan.cursor) plan.cursor = end;
  }
  return rows;
}
