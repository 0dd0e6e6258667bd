import { Redis } from 'ioredis';
import type { DedupeStore } from '../../delivery/dedupe.js';
import { HeraldError } from '../../errors/herald-error.js';

/** Options of `redisDedupeStore`. */
export interface RedisDedupeStoreOptions {
  /** A connection to use (kept open by `close`). */
  client?: Redis;
  /** Or a URL: the store opens, and `close` closes, its own connection. */
  url?: string;
  /** Keys are `<prefix>:dedupe:<key>` (default `herald`). */
  prefix?: string;
}

/** A `DedupeStore` in Redis, and the close of the connection it opened. */
export interface RedisDedupeStore extends DedupeStore {
  firstSeen(key: string, windowMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Seen ids in Redis, so the `dedupe` policy holds across instances: `firstSeen` is one
 * `SET <prefix>:dedupe:<key> 1 NX PX <windowMs>`, true when the key was set. Redis expires the
 * keys, so the store is bounded by the window (and by Redis's `maxmemory` policy). When Redis
 * cannot be reached `firstSeen` rejects, which fails the delivery attempt (retried or
 * dead-lettered by the subscription's policies) rather than letting a possible duplicate through.
 *
 * @example
 * ```ts
 * const store = redisDedupeStore({ url: 'redis://127.0.0.1:6379', prefix: 'shop' });
 * broker.subscribe('payment.captured', capture, { group: 'billing', dedupe: { store, windowMs: 600_000 } });
 * ```
 */
export function redisDedupeStore(options: RedisDedupeStoreOptions): RedisDedupeStore {
  if (options.client === undefined && options.url === undefined) {
    throw new HeraldError('INVALID_OPTION', 'redisDedupeStore needs a client or a url', {
      details: { option: 'url' },
    });
  }
  const prefix = options.prefix ?? 'herald';
  const redis = options.client ?? new Redis(options.url!, { maxRetriesPerRequest: 1 });
  // An own connection's errors surface as rejected commands; the event would only be noise.
  if (!options.client) redis.on('error', () => undefined);
  return {
    async firstSeen(key, windowMs) {
      const ms = Math.max(1, Math.ceil(windowMs));
      return (await redis.set(`${prefix}:dedupe:${key}`, '1', 'PX', ms, 'NX')) === 'OK';
    },
    async close() {
      if (options.client) return;
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
