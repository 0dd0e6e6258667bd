import { checkInteger, checkMillis, invalidOption } from '../../log/invalid-option.js';
import type { MoverOptions } from '../../log/kit/schedule.js';
import type { RetentionOptions } from '../../log/types.js';

/**
 * When an append resolves. `'fsync'`: the commit is on disk (`synchronous=FULL`: the WAL is
 * fsynced at every commit), so it survives a power loss or an OS crash. `'os'`: the commit is in
 * the operating system's cache (`synchronous=NORMAL` in WAL mode: the WAL is fsynced only at
 * checkpoints); it survives a crash of the process, but a power loss or an OS crash may lose the
 * last transactions (never corrupt the file or reorder what is kept).
 *
 * @example
 * ```ts
 * const cache = await sqliteLog({ path: './cache.db', durability: 'os' }); // no fsync per commit
 * ```
 */
export type SqliteDurability = 'fsync' | 'os';

/**
 * Options of `sqliteLog`.
 *
 * @example
 * ```ts
 * const options: SqliteLogOptions = { path: './herald-data/events.db', durability: 'fsync', retention: { maxAgeMs: 7 * 86_400_000 } };
 * ```
 */
export interface SqliteLogOptions {
  /** The database file; missing parent directories are created. */
  path: string;
  /** Default `'fsync'`. See `SqliteDurability`. */
  durability?: SqliteDurability;
  /** Limits applied after every round of appends and by `applyRetention`. */
  retention?: RetentionOptions;
  /**
   * How long a round of writes waits for more callers before it commits (default 0: it commits
   * on the next turn of the event loop, taking every write queued meanwhile).
   */
  batchWindowMs?: number;
  /** At most this many events (or acks, nacks, pulls: 1 each) per transaction (default 10,000). */
  maxBatchEvents?: number;
  /** Queued writes, counted like `maxBatchEvents`, past which callers wait for room (default 100,000). */
  maxQueuedEvents?: number;
  /** How long to wait for another process's write lock before failing with SQLITE_BUSY (default 5,000). */
  busyTimeoutMs?: number;
  /** How often idle subscriptions and pulls look for appends made by other processes (default 200). */
  pollIntervalMs?: number;
  /** Rows fetched per query while reading (default 1,000): bounds memory whatever the read's size. */
  readPageSize?: number;
  /**
   * How this log moves its due scheduled events into the log (see `MoverOptions`). Scheduled
   * events wait in the file; any process with the file open and `move` on (the default) moves
   * them, and notices another process's `schedule` within `pollIntervalMs`.
   */
  scheduler?: MoverOptions;
}

/** `SqliteLogOptions` checked, defaults applied. Internal. */
export interface ResolvedSqliteOptions {
  readonly path: string;
  readonly durability: SqliteDurability;
  readonly maxEvents: number | undefined;
  readonly maxAgeMs: number | undefined;
  readonly batchWindowMs: number;
  readonly maxBatchEvents: number;
  readonly maxQueuedEvents: number;
  readonly busyTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly readPageSize: number;
  /** Checked when the log opens, by `Scheduling`. */
  readonly scheduler: MoverOptions | undefined;
}

/**
 * Checks `SqliteLogOptions` (`INVALID_OPTION`) and applies the defaults.
 *
 * @example
 * ```ts
 * resolveSqliteOptions({ path: 'events.db' }).durability; // 'fsync'
 * ```
 */
export function resolveSqliteOptions(options: SqliteLogOptions): ResolvedSqliteOptions {
  const { path, retention = {} } = options;
  if (typeof path !== 'string' || path === '') throw invalidOption('path', path, 'a file path');
  const durability: unknown = options.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'os') {
    throw invalidOption('durability', durability, "'fsync' or 'os'");
  }
  const maxQueuedEvents = checkInteger('maxQueuedEvents', options.maxQueuedEvents ?? 100_000, 1);
  return {
    path,
    durability,
    maxEvents:
      retention.maxEvents === undefined ? undefined : checkInteger('maxEvents', retention.maxEvents, 1),
    maxAgeMs: retention.maxAgeMs === undefined ? undefined : checkMillis('maxAgeMs', retention.maxAgeMs, 1),
    batchWindowMs: checkMillis('batchWindowMs', options.batchWindowMs ?? 0, 0),
    maxBatchEvents: checkInteger('maxBatchEvents', options.maxBatchEvents ?? 10_000, 1),
    maxQueuedEvents,
    busyTimeoutMs: checkInteger('busyTimeoutMs', options.busyTimeoutMs ?? 5_000, 0),
    pollIntervalMs: checkMillis('pollIntervalMs', options.pollIntervalMs ?? 200, 1),
    readPageSize: checkInteger('readPageSize', options.readPageSize ?? 1_000, 1),
    scheduler: options.scheduler,
  };
}
