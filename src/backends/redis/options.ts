import { Redis } from 'ioredis';
import { checkInteger, checkMillis, invalidOption } from '../../log/invalid-option.js';
import type { MoverOptions } from '../../log/kit/schedule.js';
import type { RetentionOptions } from '../../log/types.js';

/** What the log found when the server had lost its data (a restart without persistence). */
export interface RedisDataLoss {
  /** Every position up to this one may be gone: events, stream versions, dedupe ids, groups. */
  readonly lostUpTo: number;
  /** When this log noticed (RFC 3339). */
  readonly detectedAt: string;
}

/**
 * How to reach Redis: `client` (yours: never closed by Herald) or `url` (Herald makes the
 * connection and closes it).
 *
 * @example
 * ```ts
 * const where: RedisConnectionOptions = { url: 'redis://127.0.0.1:6379' };
 * ```
 */
export interface RedisConnectionOptions {
  /** An ioredis client to run on. Blocking reads use a `duplicate()` of it. */
  client?: Redis;
  /** Where to connect when no `client` is given, e.g. `redis://127.0.0.1:6379/0`. */
  url?: string;
}

/**
 * Options of `redisLog`.
 *
 * @example
 * ```ts
 * const options: RedisLogOptions = { url: 'redis://127.0.0.1:6379', prefix: 'shop' };
 * ```
 */
export interface RedisLogOptions extends RedisConnectionOptions {
  /** The first part of every key of the log (default `'herald'`). One log per prefix. */
  prefix?: string;
  /** Limits applied after every round of appends and by `applyRetention`. */
  retention?: RetentionOptions;
  /** At most this many events in one append script call (default 1,000). */
  maxBatchEvents?: number;
  /** Queued events past which `append` callers wait for room (default 100,000). */
  maxQueuedEvents?: number;
  /**
   * How long an idle tail's blocking read (XREAD BLOCK) lasts, and how often a waiting pull looks
   * again for other processes' nacks and redrives (default 1,000).
   */
  pollIntervalMs?: number;
  /** Entries fetched per command while reading (default 500). */
  readPageSize?: number;
  /**
   * How long a call keeps retrying while the server cannot be reached before it fails with
   * `LOG_UNREACHABLE` (default 10,000), counted from the call: an append queued behind others
   * gets what is left of it, not a budget of its own. Live tails retry for as long as the log is
   * open.
   */
  retryTimeoutMs?: number;
  /**
   * Called when the log finds that the server lost its data (a restart without persistence);
   * default: a process warning. See `docs/redis.md`.
   */
  onDataLoss?: (loss: RedisDataLoss) => void;
  /**
   * How this log object moves its due scheduled events into the log (see `MoverOptions`: `move`,
   * `leaseMs`, `batch`, `pollMs`, `onError`). The pending events themselves live in Redis under
   * the prefix, shared by every process that opens it; any of them with `move` on moves them.
   */
  scheduler?: MoverOptions;
}

/** `RedisLogOptions` checked, defaults applied. Internal. */
export interface ResolvedRedisOptions {
  readonly prefix: string;
  readonly maxEvents: number | undefined;
  readonly maxAgeMs: number | undefined;
  readonly maxBatchEvents: number;
  readonly maxQueuedEvents: number;
  readonly pollIntervalMs: number;
  readonly readPageSize: number;
  readonly retryTimeoutMs: number;
  readonly onDataLoss: (loss: RedisDataLoss) => void;
  /** Checked by `Scheduling` when the log is made. */
  readonly scheduler: MoverOptions;
}

function warnDataLoss(loss: RedisDataLoss): void {
  process.emitWarning(
    `Redis lost the log's data (positions up to ${loss.lostUpTo}); appends go on after it`,
    'HeraldRedisDataLoss',
  );
}

/**
 * Checks `RedisLogOptions` (`INVALID_OPTION`) and applies the defaults. A prefix is letters,
 * digits, `_`, `-` and `.`: no `:`, so one log's keys can never be another prefix's.
 *
 * @example
 * ```ts
 * resolveRedisOptions({ url: 'redis://localhost' }).prefix; // 'herald'
 * ```
 */
export function resolveRedisOptions(options: RedisLogOptions): ResolvedRedisOptions {
  const { retention = {}, prefix = 'herald', onDataLoss = warnDataLoss } = options;
  if (typeof retention !== 'object') throw invalidOption('retention', retention, 'an object');
  if (typeof prefix !== 'string' || !/^[\w.-]{1,100}$/.test(prefix)) {
    throw invalidOption('prefix', prefix, 'letters, digits, "_", "-" or "." (1 to 100)');
  }
  if (typeof onDataLoss !== 'function') throw invalidOption('onDataLoss', onDataLoss, 'a function');
  // Checked as unknown: JavaScript callers pass anything. Its fields are `Scheduling`'s to check.
  const scheduler = (options.scheduler ?? {}) as unknown;
  if (typeof scheduler !== 'object' || scheduler === null) {
    throw invalidOption('scheduler', scheduler, 'an object of mover options');
  }
  return {
    prefix,
    maxEvents:
      retention.maxEvents === undefined ? undefined : checkInteger('maxEvents', retention.maxEvents, 1),
    maxAgeMs: retention.maxAgeMs === undefined ? undefined : checkMillis('maxAgeMs', retention.maxAgeMs, 1),
    maxBatchEvents: checkInteger('maxBatchEvents', options.maxBatchEvents ?? 1_000, 1),
    maxQueuedEvents: checkInteger('maxQueuedEvents', options.maxQueuedEvents ?? 100_000, 1),
    pollIntervalMs: checkMillis('pollIntervalMs', options.pollIntervalMs ?? 1_000, 1),
    readPageSize: checkInteger('readPageSize', options.readPageSize ?? 500, 1),
    retryTimeoutMs: checkMillis('retryTimeoutMs', options.retryTimeoutMs ?? 10_000, 0),
    onDataLoss,
    scheduler,
  };
}

/** A client and whether its maker must close it. */
export interface RedisConnection {
  readonly client: Redis;
  /** True when the connection was made from a `url`: `close` ends it. */
  readonly owned: boolean;
  /** Ends the connection if Herald made it; leaves a given client alone. */
  close(): Promise<void>;
}

/**
 * An ioredis client from `{ client | url }`, the one way Herald's Redis parts connect. A client
 * made from a URL fails commands at once while disconnected (no offline queue: callers decide how
 * long to retry), reconnects by itself with a short backoff, and swallows `'error'` events (a
 * restart would otherwise print them or crash); it is connected before this resolves. A given
 * client is used as it is.
 *
 * @example
 * ```ts
 * const { client, close } = await redisConnection({ url: 'redis://127.0.0.1:6379' });
 * await client.ping();
 * await close();
 * ```
 */
export async function redisConnection(options: RedisConnectionOptions): Promise<RedisConnection> {
  const { client, url } = options;
  if (client !== undefined) {
    if (!(client instanceof Redis)) throw invalidOption('client', client, 'an ioredis client');
    return { client, owned: false, close: () => Promise.resolve() };
  }
  if (typeof url !== 'string' || url === '') throw invalidOption('url', url, 'a redis:// URL, or a client');
  const made = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
  });
  made.on('error', () => undefined);
  try {
    await made.connect();
  } catch (error) {
    made.disconnect();
    throw error;
  }
  return {
    client: made,
    owned: true,
    close: async () => {
      await made.quit().catch(() => made.disconnect());
    },
  };
}
