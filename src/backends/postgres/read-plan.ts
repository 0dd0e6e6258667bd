import type { ReadFilter } from '../../log/read-filter.js';
import type { StoredEvent } from '../../log/types.js';
import type { PgContext } from './log-context.js';
import { typeRegexes } from './type-regex.js';

/**
 * The highest position or version a query bound takes.
 *
 * @example
 * ```ts
 * const cursor = MAX_POSITION; // a backward stream read from the newest version
 * ```
 */
export const MAX_POSITION = Number.MAX_SAFE_INTEGER;

/**
 * A read in progress: which index drives it, its position range, and where the next page
 * starts. `regexes` are the type patterns as PostgreSQL regular expressions (`null`: every type).
 */
export interface ReadPlan {
  readonly forward: boolean;
  readonly stream: string | undefined;
  readonly correlation: string | undefined;
  readonly regexes: string[] | null;
  /** Positions wanted, inclusive. */
  readonly lo: number;
  readonly hi: number;
  /** The last position returned (the last version, for a stream): the next page starts after it. */
  cursor: number;
}

interface PlanRow {
  readonly last: number;
  readonly from_first: number | null;
  readonly from_last: number | null;
  readonly after_first: number | null;
  readonly before_last: number | null;
}

// Recorded times are whole milliseconds: "at or after 5.5" is "at or after 6", "before 5.5" is "before 6".
const iso = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(Math.ceil(ms)).toISOString();

/**
 * Turns a checked `ReadFilter` into a plan: `from`, `after` and `before` become a position range
 * (one query, one snapshot), ending at the last position assigned now: events appended during
 * the read are for `subscribe`.
 *
 * @example
 * ```ts
 * const plan = await planRead(ctx, readFilter({ types: ['order.>'] }));
 * ```
 */
export async function planRead(ctx: PgContext, filter: ReadFilter): Promise<ReadPlan> {
  const forward = filter.direction === 'forward';
  const { from, afterMs, beforeMs, stream, fromVersion } = filter;
  const date = from instanceof Date ? from.getTime() : undefined;
  const params = [forward ? iso(date) : null, forward ? null : iso(date), iso(afterMs), iso(beforeMs)];
  const row = (await ctx.query<PlanRow>(ctx.sql.query('plan-read', params))).rows[0]!;
  const last = row.last;
  ctx.noteLast(last);
  let lo = 1;
  let hi = last;
  if (forward) {
    if (from === 'end') lo = last + 1;
    else if (from instanceof Date) lo = row.from_first ?? last + 1;
    else if (typeof from === 'number') lo = Math.max(from, 1);
  } else if (from === 'start') hi = 0;
  else if (from instanceof Date) hi = row.from_last ?? 0;
  else if (typeof from === 'number') hi = Math.min(from, last);
  if (afterMs !== undefined) lo = Math.max(lo, row.after_first ?? last + 1);
  if (beforeMs !== undefined) hi = Math.min(hi, row.before_last ?? 0);
  let cursor = forward ? lo - 1 : hi + 1;
  if (stream !== undefined) cursor = forward ? (fromVersion ?? 1) - 1 : (fromVersion ?? MAX_POSITION - 1) + 1;
  const correlation = filter.correlationId;
  return { forward, stream, correlation, regexes: typeRegexes(filter.types), lo, hi, cursor };
}

/**
 * Reads the next page of a plan (at most `limit` events) and moves its cursor. The statement is
 * chosen by the most selective index the plan allows: the stream's, else the correlation id's,
 * else the primary key (type patterns filter within each).
 *
 * @example
 * ```ts
 * const events = await readPage(ctx, plan, 1000);
 * ```
 */
export async function readPage(ctx: PgContext, plan: ReadPlan, limit: number): Promise<StoredEvent[]> {
  if (plan.regexes?.length === 0 || plan.lo > plan.hi) return [];
  const dir = plan.forward ? 'forward' : 'backward';
  const { sql } = ctx;
  const bound = plan.forward ? plan.hi : plan.lo;
  const query =
    plan.stream !== undefined
      ? sql.query(`read-by-stream-${dir}`, [
          plan.stream,
          plan.cursor,
          plan.lo,
          plan.hi,
          plan.regexes,
          plan.correlation ?? null,
          limit,
        ])
      : plan.correlation !== undefined
        ? sql.query(`read-by-correlation-${dir}`, [plan.correlation, plan.cursor, bound, plan.regexes, limit])
        : sql.query(`read-by-position-${dir}`, [plan.cursor, bound, plan.regexes, limit]);
  const events = (await ctx.query<{ event: StoredEvent }>(query)).rows.map((row) => row.event);
  const lastEvent = events.at(-1);
  if (lastEvent !== undefined) {
    plan.cursor = plan.stream === undefined ? lastEvent.position : lastEvent.version!;
  }
  return events;
}
