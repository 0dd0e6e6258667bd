import type { Pool, PoolClient, QueryResult } from 'pg';
import { HeraldError } from '../../errors/index.js';
import { appendRound, type AppendRequest, type HeadRow, type RoundResult } from './append-round.js';
import { isBroken, withRetry } from './pg-errors.js';
import { withClient } from './pooled-client.js';
import type { SchemaSql } from './sql-file.js';
import { QUERY_TYPES } from './sql-file.js';

/** The checked retention limits. */
export interface RetentionLimits {
  readonly maxEvents: number | undefined;
  readonly maxAgeMs: number | undefined;
}

/** What rounds run with. */
export interface CommitContext {
  readonly pool: Pool;
  readonly sql: SchemaSql;
  readonly retention: RetentionLimits | undefined;
  readonly retryTimeoutMs: number;
}

// One round deletes at most this many events, so a backlog of expired events never makes one
// transaction (and every append waiting for the head) long; the next rounds take the rest.
const CHUNK = 10_000;

const UNKNOWN_OUTCOME =
  'the append may or may not be stored: appending the same events again (same ids) stores them once';

/**
 * Runs `work` in a transaction on a pooled connection, after `BEGIN` and `lock-head` (sent as one
 * round trip): the head row stays locked until `work` returns and the transaction commits (or
 * rolls back when `work` says it wrote nothing). A connection that failed is thrown away.
 *
 * @example
 * ```ts
 * const deleted = await withHead(ctx, async (client, head) => ({ value: 0, wrote: false }));
 * ```
 */
export function withHead<T>(
  ctx: CommitContext,
  work: (client: PoolClient, head: HeadRow) => Promise<{ value: T; wrote: boolean }>,
): Promise<T> {
  return withClient(ctx.pool, async (client) => {
    // Two statements in one simple query: one round trip to open the transaction and take the head.
    const text = `BEGIN; ${ctx.sql.text('lock-head')}`;
    try {
      const results = (await client.query({ text, types: QUERY_TYPES })) as unknown as QueryResult[];
      const head = results[1]!.rows[0] as HeadRow;
      const { value, wrote } = await work(client, head);
      await client.query(wrote ? 'COMMIT' : 'ROLLBACK');
      return value;
    } catch (error) {
      // A broken connection is thrown away by withClient (PostgreSQL rolls its transaction back).
      if (!isBroken(error)) await client.query('ROLLBACK');
      throw error;
    }
  });
}

async function deleted(result: Promise<QueryResult<{ n: number }>>): Promise<number> {
  return (await result).rows[0]!.n;
}

/**
 * One chunk of retention inside a transaction holding the head: the oldest events past
 * `maxEvents` (counted from `count`, the events stored now), then those older than `maxAgeMs`.
 *
 * @example
 * ```ts
 * const removed = await retainChunk(client, sql, limits, head.event_count + inserted);
 * ```
 */
export async function retainChunk(
  client: PoolClient,
  sql: SchemaSql,
  limits: RetentionLimits,
  count: number,
): Promise<number> {
  let removed = 0;
  if (limits.maxEvents !== undefined && count > limits.maxEvents) {
    const excess = Math.min(count - limits.maxEvents, CHUNK);
    removed += await deleted(client.query(sql.query('delete-oldest', [excess])));
  }
  if (limits.maxAgeMs !== undefined) {
    removed += await deleted(client.query(sql.query('delete-expired', [limits.maxAgeMs, CHUNK])));
  }
  return removed;
}

async function attemptRound(ctx: CommitContext, requests: readonly AppendRequest[]): Promise<RoundResult> {
  return withHead(ctx, async (client, head) => {
    const result = await appendRound(client, ctx.sql, requests, head);
    if (result.inserted > 0 && ctx.retention !== undefined) {
      await retainChunk(client, ctx.sql, ctx.retention, head.event_count + result.inserted);
    }
    return { value: result, wrote: result.inserted > 0 };
  });
}

/**
 * Commits a round of appends: one transaction for every request (see `appendRound`), tried
 * again while the server is unreachable (up to `retryTimeoutMs` from `since`, then every request fails with
 * `LOG_UNREACHABLE`); an attempt whose commit may have gone through is recognised by the
 * positions it assigned, so its events are not reported as duplicates of themselves. When the
 * round fails for another reason (say, a value PostgreSQL refuses), each request runs again
 * alone, so only the one to blame fails.
 *
 * @example
 * ```ts
 * const { outcomes, last } = await commitRound(ctx, requests, Date.now());
 * ```
 */
export async function commitRound(
  ctx: CommitContext,
  requests: readonly AppendRequest[],
  since: number = Date.now(),
): Promise<RoundResult> {
  try {
    return await withRetry(() => attemptRound(ctx, requests), {
      // From the earliest caller's append: one queued behind a failing round gets no new budget.
      timeoutMs: Math.max(0, since + ctx.retryTimeoutMs - Date.now()),
      advice: UNKNOWN_OUTCOME,
    });
  } catch (error) {
    const unreachable = error instanceof HeraldError && error.code === 'LOG_UNREACHABLE';
    if (unreachable || requests.length === 1) {
      return { outcomes: requests.map(() => ({ ok: false, error })), last: 0, inserted: 0 };
    }
    const outcomes = [];
    let last = 0;
    let inserted = 0;
    for (const request of requests) {
      const alone = await commitRound(ctx, [request], since);
      outcomes.push(alone.outcomes[0]!);
      last = Math.max(last, alone.last);
      inserted += alone.inserted;
    }
    return { outcomes, last, inserted };
  }
}

/**
 * Applies the retention limits in full: chunks in one transaction holding the head until
 * nothing is left to delete. Returns how many events were deleted.
 *
 * @example
 * ```ts
 * const n = await applyRetentionNow(ctx, { maxEvents: 1000, maxAgeMs: undefined });
 * ```
 */
export function applyRetentionNow(ctx: CommitContext, limits: RetentionLimits): Promise<number> {
  const attempt = (): Promise<number> =>
    withHead(ctx, async (client, head) => {
      let total = 0;
      for (;;) {
        const removed = await retainChunk(client, ctx.sql, limits, head.event_count - total);
        if (removed === 0) return { value: total, wrote: total > 0 };
        total += removed;
      }
    });
  return withRetry(attempt, { timeoutMs: ctx.retryTimeoutMs });
}
