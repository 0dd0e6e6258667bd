/**
 * `herald/redis`: the shared EventLog on Redis (`ioredis`, an optional peer dependency that only
 * this subpath imports), and the connection helper Herald's other Redis parts use.
 */
export { redisLog } from './redis-log-factory.js';
export {
  redisConnection,
  type RedisConnection,
  type RedisConnectionOptions,
  type RedisDataLoss,
  type RedisLogOptions,
} from './options.js';
export { isTransient as isRedisTransient, withRetry as withRedisRetry } from './redis-errors.js';
export { redisTransport, type RedisTransportOptions } from './transport.js';
export { redisDedupeStore, type RedisDedupeStore, type RedisDedupeStoreOptions } from './dedupe-store.js';
