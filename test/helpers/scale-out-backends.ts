/**
 * The shared logs the scale-out test and benchmark run `herald serve` on: PostgreSQL, Redis and
 * NATS JetStream, each with a name space of its own per run (a schema, a key prefix, a stream and
 * subject prefix) passed to the hubs as `HERALD_*` variables, removed again by `cleanup`. Each
 * holds its server's lock while in use, so no restart test restarts the server under the hubs.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { holdNats } from '../fixtures/nats-server-lock.js';
import { NATS_URL, natsUnreachable } from '../fixtures/nats-server.js';
import { holdServer } from '../fixtures/postgres-server-lock.js';
import { POSTGRES_URL, dropSchemas, postgresUnreachable } from '../fixtures/postgres-server.js';
import { holdRedis } from '../fixtures/redis-server-lock.js';
import { REDIS_URL, deletePrefixes, redisUnreachable } from '../fixtures/redis-server.js';

/** One shared log for a run: the `--log` URL, the hubs' environment, and how to remove it. */
export interface SharedLog {
  readonly url: string;
  readonly env: Record<string, string>;
  /** True when the hubs must start one at a time (the first creates what the others open). */
  readonly startOneFirst: boolean;
  cleanup(): Promise<void>;
}

/** A backend of the scale-out runs. */
export interface ScaleOutBackend {
  readonly name: 'postgres' | 'redis' | 'nats';
  /**
   * Why its server cannot be used (undefined when it can): prints the reason and skips, but throws
   * under `CI=true` (the fixtures' rule).
   */
  unreachable(): Promise<string | undefined>;
  /** A fresh name space on the server, held until `cleanup`. */
  prepare(): Promise<SharedLog>;
}

const suffix = (): string => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * PostgreSQL, Redis and NATS, in that order.
 *
 * @example
 * ```ts
 * for (const backend of SCALE_OUT_BACKENDS) if ((await backend.unreachable()) === undefined) ...
 * ```
 */
export const SCALE_OUT_BACKENDS: readonly ScaleOutBackend[] = [
  {
    name: 'postgres',
    unreachable: postgresUnreachable,
    async prepare() {
      const release = await holdServer();
      const schema = `herald_scale_${suffix()}`;
      return {
        url: POSTGRES_URL,
        env: { HERALD_POSTGRES__SCHEMA: schema },
        startOneFirst: false,
        async cleanup() {
          await dropSchemas([schema]);
          await release();
        },
      };
    },
  },
  {
    name: 'redis',
    unreachable: redisUnreachable,
    async prepare() {
      const release = await holdRedis();
      const prefix = `herald-scale-${suffix()}`;
      return {
        url: REDIS_URL,
        env: { HERALD_REDIS__PREFIX: prefix },
        startOneFirst: false,
        async cleanup() {
          await deletePrefixes([prefix]);
          await release();
        },
      };
    },
  },
  {
    name: 'nats',
    unreachable: natsUnreachable,
    async prepare() {
      const release = await holdNats();
      const id = suffix();
      const stream = `HERALD_SCALE_${id}`;
      return {
        url: `nats://${NATS_URL.replace(/^nats:\/\//, '')}`,
        env: { HERALD_NATS__STREAM: stream, HERALD_NATS__SUBJECT_PREFIX: `scale_${id}` },
        startOneFirst: true,
        async cleanup() {
          const nc = await connect({ servers: NATS_URL });
          try {
            const jsm = await jetstreamManager(nc);
            // The log's stream and its dead-letter stream (created with the first group).
            for (const name of [stream, `${stream}_DLQ`]) await jsm.streams.delete(name).catch(() => false);
          } finally {
            await nc.close();
            await release();
          }
        },
      };
    },
  },
];
