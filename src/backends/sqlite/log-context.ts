import type Database from 'better-sqlite3';
import type { Notifier } from '../../log/notifier.js';
import type { ResolvedSqliteOptions } from './options.js';
import type { ReadPlan } from './read-plan.js';
import type { Statements } from './statements.js';
import type { WriteQueue } from './write-queue.js';

/** What the parts of the SQLite log (reads, subscriptions, groups) share. Internal. */
export interface LogContext {
  readonly db: Database.Database;
  readonly sql: Statements;
  readonly queue: WriteQueue;
  /** Notified after every round that appended (or made a delivery due), and at close. */
  readonly appended: Notifier;
  readonly options: ResolvedSqliteOptions;
  /** True from the moment `close` is called. */
  readonly closed: boolean;
  /** Throws `LOG_CLOSED` once `close` was called. */
  assertOpen(): void;
  /** `readPage` in its own read transaction (one snapshot). */
  readPage(plan: ReadPlan, limit: number): string[];
}
