import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { ResolvedPostgresOptions } from './options.js';
import type { SchemaSql } from './sql-file.js';
import type { Wakeup } from '../../log/kit/wakeup.js';

/** How long `PgContext.query` keeps trying. */
export interface QueryRetry {
  readonly timeoutMs?: number;
  readonly stopped?: () => boolean;
  readonly signal?: AbortSignal;
}

/** What the parts of the PostgreSQL log (reads, tails, groups) share. Internal. */
export interface PgContext {
  readonly pool: Pool;
  readonly sql: SchemaSql;
  readonly options: ResolvedPostgresOptions;
  /** Fired after this process committed appends, on other processes' notifications, at close. */
  readonly appended: Wakeup;
  /** Aborted at close: cuts waits and retry pauses short. */
  readonly stopped: AbortSignal;
  /** True from the moment `close` is called. */
  readonly closed: boolean;
  /** The highest position known to be assigned: what `subscribe({ from: 'end' })` starts after. */
  readonly knownLast: number;
  /** Throws `LOG_CLOSED` once `close` was called. */
  assertOpen(): void;
  /** Raises `knownLast` (positions seen by a read or a notification). */
  noteLast(position: number): void;
  /**
   * One statement on the pool, tried again while the server is unreachable: for `retryTimeoutMs`
   * by default, or as `retry` says (it stops early at close, or when `retry.stopped` says so).
   */
  query<R extends QueryResultRow>(config: QueryConfig, retry?: QueryRetry): Promise<QueryResult<R>>;
  /** Fired when a nack or redrive (in any process) made something of group `id` due. */
  groupWakeup(id: number): Wakeup;
}
