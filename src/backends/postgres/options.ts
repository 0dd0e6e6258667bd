import type { Pool } from 'pg';
import { checkInteger, checkMillis, invalidOption } from '../../log/invalid-option.js';
import type { MoverOptions } from '../../log/kit/schedule.js';
import type { RetentionOptions } from '../../log/types.js';

/**
 * Options of `postgresLog`. Give either `pool` (yours: the log never ends it) or
 * `connectionString` (the log makes a pool and ends it at `close`).
 *
 * @example
 * ```ts
 * const options: PostgresLogOptions = { connectionString: 'postgres://app@db/shop', schema: 'herald' };
 * ```
 */
export interface PostgresLogOptions {
  /** A `pg` pool to run on. It should have an `'error'` listener, as `pg` asks of every pool. */
  pool?: Pool;
  /** Where to connect when no `pool` is given, e.g. `postgres://user@host:5432/db`. */
  connectionString?: string;
  /** The schema holding the log's tables, created if missing (default `'herald'`). One log per schema. */
  schema?: string;
  /** Limits applied after every round of appends and by `applyRetention`. */
  retention?: RetentionOptions;
  /** Connections of the pool the log makes from `connectionString` (default 10). */
  poolSize?: number;
  /** At most this many events (or acks: 1 each) in one transaction (default 5,000). */
  maxBatchEvents?: number;
  /** Queued events past which `append` callers wait for room (default 100,000). */
  maxQueuedEvents?: number;
  /**
   * How often an idle tail or waiting pull looks again although no notification came: the
   * safety net behind LISTEN/NOTIFY, not how changes are normally seen (default 2,000).
   */
  pollIntervalMs?: number;
  /** Rows fetched per query while reading (default 1,000). */
  readPageSize?: number;
  /**
   * How long a call keeps retrying while the server cannot be reached (a restart, a failover)
   * before it fails with `LOG_UNREACHABLE` (default 10,000), counted from the call: an append
   * queued behind others gets what is left of it, not a budget of its own. Live tails retry for
   * as long as the log is open.
   */
  retryTimeoutMs?: number;
  /**
   * How this log moves its due scheduled events into the log (see `MoverOptions`): every log
   * object on the schema moves by default, sharing the work through the `scheduled_events`
   * table; `{ move: false }` leaves it to the others. `pollMs` defaults to 10,000 here: other
   * processes' schedules wake the mover by notification.
   */
  scheduler?: MoverOptions;
}

/** `PostgresLogOptions` checked, defaults applied. Internal. */
export interface ResolvedPostgresOptions {
  readonly schema: string;
  readonly maxEvents: number | undefined;
  readonly maxAgeMs: number | undefined;
  readonly poolSize: number;
  readonly maxBatchEvents: number;
  readonly maxQueuedEvents: number;
  readonly pollIntervalMs: number;
  readonly readPageSize: number;
  readonly retryTimeoutMs: number;
  /** Checked by `Scheduling` when the log is built. */
  readonly scheduler: MoverOptions;
}

/** PostgreSQL truncates identifiers past 63 bytes; a truncated schema name could collide. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Checks a schema name: 1 to 63 bytes of UTF-8 without NUL. Any other character is fine: the
 * name is always quoted.
 *
 * @example
 * ```ts
 * checkSchema('herald'); // 'herald'
 * ```
 */
export function checkSchema(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value.includes('\u0000') ||
    Buffer.byteLength(value) > MAX_IDENTIFIER_BYTES
  ) {
    throw invalidOption('schema', value, 'a name of 1 to 63 bytes without NUL');
  }
  return value;
}

/**
 * Checks `PostgresLogOptions` (`INVALID_OPTION`) and applies the defaults. `pool` and
 * `connectionString` are checked by the factory, which uses them.
 *
 * @example
 * ```ts
 * resolvePostgresOptions({ connectionString: 'postgres://localhost/db' }).schema; // 'herald'
 * ```
 */
export function resolvePostgresOptions(options: PostgresLogOptions): ResolvedPostgresOptions {
  const { retention = {} } = options;
  if (typeof retention !== 'object') throw invalidOption('retention', retention, 'an object');
  // Checked as unknown: JavaScript callers and configuration files pass anything.
  const scheduler: unknown = options.scheduler ?? {};
  if (typeof scheduler !== 'object' || scheduler === null) {
    throw invalidOption('scheduler', scheduler, 'an object of mover options');
  }
  return {
    schema: checkSchema(options.schema ?? 'herald'),
    maxEvents:
      retention.maxEvents === undefined ? undefined : checkInteger('maxEvents', retention.maxEvents, 1),
    maxAgeMs: retention.maxAgeMs === undefined ? undefined : checkMillis('maxAgeMs', retention.maxAgeMs, 1),
    poolSize: checkInteger('poolSize', options.poolSize ?? 10, 2),
    maxBatchEvents: checkInteger('maxBatchEvents', options.maxBatchEvents ?? 5_000, 1),
    maxQueuedEvents: checkInteger('maxQueuedEvents', options.maxQueuedEvents ?? 100_000, 1),
    pollIntervalMs: checkMillis('pollIntervalMs', options.pollIntervalMs ?? 2_000, 1),
    readPageSize: checkInteger('readPageSize', options.readPageSize ?? 1_000, 1),
    retryTimeoutMs: checkMillis('retryTimeoutMs', options.retryTimeoutMs ?? 10_000, 0),
    scheduler: scheduler,
  };
}
