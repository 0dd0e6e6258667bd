import type { Redis } from 'ioredis';
import type { EventLog, LogCapabilities } from '../../log/types.js';
import { LogKeys } from './keys.js';
import { redisConnection, resolveRedisOptions, type RedisLogOptions } from './options.js';
import { withRetry } from './redis-errors.js';
import { RedisLog } from './redis-log.js';
import { ScriptRunner } from './scripts.js';
import { logSurface } from '../../log/surface.js';

/**
 * What a resolved append survives, from the server's persistence settings: a kill of the server
 * only with the append-only file (written before Redis replies; RDB snapshots (`save`) lose what
 * came after the last one), a machine crash only when that file is fsynced per write.
 */
async function persistence(client: Redis): Promise<{ survivesServerRestart: boolean; fsync: boolean }> {
  try {
    const config = await client.config('GET', 'appendonly', 'appendfsync');
    const value = (name: string): string => config[config.indexOf(name) + 1] ?? '';
    const aof = value('appendonly') === 'yes';
    return { survivesServerRestart: aof, fsync: aof && value('appendfsync') === 'always' };
  } catch {
    // CONFIG is often disabled on managed servers: claim nothing that cannot be checked.
    return { survivesServerRestart: false, fsync: false };
  }
}

/**
 * The shared `EventLog` on Redis (through `ioredis`, an optional peer dependency that only this
 * subpath imports): several processes and hub instances append to and read one log under one key
 * prefix (`prefix`, default `'herald'`).
 *
 * - Appends run `append.lua`: it assigns positions from a counter, checks `expectedVersion`
 *   against the stream's index, dedupes by event id and XADDs to one events stream whose entry
 *   ids are the positions (`<position>-0`), all atomically. Concurrent appends in one process share
 *   one script call; each caller's batch is still atomic and checked on its own.
 * - Reads page the events stream by position (XRANGE) or a stream's index by version; tails read
 *   the same way and wake on a blocking `XREAD BLOCK` on a dedicated connection.
 * - Consumer groups are Redis consumer groups on the events stream (XREADGROUP, XACK, XAUTOCLAIM,
 *   delivery counts from XPENDING), with nack delays, dead letters (with the last error), redrive
 *   and purge in Herald's keys beside them, on the server's clock.
 * - Scheduled events (`schedule`) wait in sorted sets and a hash under the prefix, shared by every
 *   process on it; each operation is one script, and a mover in any process with
 *   `scheduler.move` on appends them when due (woken by pub/sub on `<prefix>:sched:added`).
 * - While the server is unreachable calls retry for `retryTimeoutMs`, then fail with
 *   `LOG_UNREACHABLE`. If the server comes back without its data (persistence off), appends go on
 *   after the highest position this process had seen and `onDataLoss` is told.
 * - `capabilities.survivesServerRestart` and `fsync` are read from the server's persistence
 *   settings at open (`appendonly`, `appendfsync`).
 *
 * See `docs/redis.md` for the key layout, the scripts and what survives a restart.
 *
 * @example
 * ```ts
 * import { redisLog } from 'herald/redis';
 *
 * const log = await redisLog({ url: 'redis://127.0.0.1:6379', prefix: 'shop' });
 * await log.append([{ type: 'order.created', data: { id: 'o-1' } }], { stream: 'order-o-1', expectedVersion: 'no_stream' });
 * const group = await log.group('mailer', { types: ['order.>'], startAt: 'start' });
 * for (const delivery of await group.pull({ max: 10, waitMs: 1000 })) await delivery.ack();
 * await log.close();
 * ```
 */
export async function redisLog(options: RedisLogOptions): Promise<EventLog> {
  const resolved = resolveRedisOptions(options);
  const connection = await redisConnection(options);
  const { client } = connection;
  const blocker = client.duplicate();
  blocker.on('error', () => undefined);
  const release = async (): Promise<void> => {
    blocker.disconnect();
    await connection.close();
  };
  try {
    if (blocker.status === 'wait') await blocker.connect();
    const keys = new LogKeys(resolved.prefix);
    const scripts = new ScriptRunner(client);
    const retry = { timeoutMs: resolved.retryTimeoutMs };
    const opened = await withRetry(async () => {
      await scripts.load();
      await client.hsetnx(keys.meta, 'created', Date.now());
      return { last: Number((await client.hget(keys.meta, 'last')) ?? 0), ...(await persistence(client)) };
    }, retry);
    const capabilities: LogCapabilities = Object.freeze({
      name: 'redis',
      survivesReopen: true,
      survivesServerRestart: opened.survivesServerRestart,
      fsync: opened.fsync,
      consumerGroups: true,
      multiProcess: true,
    });
    return logSurface(
      new RedisLog({
        client,
        blocker,
        scripts,
        options: resolved,
        capabilities,
        last: opened.last,
        release,
      }),
    );
  } catch (error) {
    await release();
    throw error;
  }
}
