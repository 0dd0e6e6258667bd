/**
 * What a user can reach on a log, a consumer group and a delivery: exactly the members of
 * `EventLog`, `ConsumerGroup` and `GroupDelivery`, on every backend. A backend's internals (its
 * database handle, pool, queues, wake-ups, ack helpers) stay inside the package.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import { postgresLog } from '../src/backends/postgres/index.js';
import { redisLog } from '../src/backends/redis/index.js';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { ConsumerGroup, EventLog, GroupDelivery } from '../src/log/types.js';
import { NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNats } from './fixtures/nats-server-lock.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable, uniqueSchema } from './fixtures/postgres-server.js';
import { holdServer } from './fixtures/postgres-server-lock.js';
import { deletePrefixes, REDIS_URL, redisUnreachable } from './fixtures/redis-server.js';
import { holdRedis } from './fixtures/redis-server-lock.js';

// The members of each interface in src/log/types.ts, written out: a member added there must be
// added here too, which is the point (the surface is a decision).
const LOG_MEMBERS = [
  'capabilities',
  'append',
  'read',
  'get',
  'subscribe',
  'group',
  'groups',
  'streamVersion',
  'truncateStream',
  'deleteStream',
  'applyRetention',
  'bounds',
  'schedule',
  'cancelScheduled',
  'scheduled',
  'close',
].sort();
const GROUP_MEMBERS = [
  'name',
  'options',
  'pull',
  'info',
  'status',
  'deadLetters',
  'pending',
  'redrive',
  'purge',
].sort();
const DELIVERY_MEMBERS = ['event', 'deliveryCount', 'ack', 'nack'].sort();

/** Every property name and symbol reachable on `value`: its own and its prototypes' up to Object.prototype. */
function reachable(value: object): string[] {
  const names = new Set<string>();
  for (
    let o: object | null = value;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    for (const key of Reflect.ownKeys(o)) {
      if (key === 'constructor' && o !== value) continue;
      names.add(typeof key === 'symbol' ? key.toString() : key);
    }
  }
  return [...names].sort();
}

interface Backend {
  name: string;
  /** Why it cannot run here (undefined when it can). */
  unreachable: () => Promise<string | undefined>;
  open: () => Promise<EventLog>;
  /** Takes the server's shared lock; returns its release. */
  hold?: () => Promise<() => Promise<void>>;
  cleanup?: () => Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'herald-log-surface-'));
const schemas: string[] = [];
const prefixes: string[] = [];
const natsStreams: string[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backends: Backend[] = [
  { name: 'memory', unreachable: async () => undefined, open: async () => memoryLog() },
  {
    name: 'sqlite',
    unreachable: async () => undefined,
    open: () => sqliteLog({ path: join(dir, `${randomUUID()}.db`) }),
  },
  {
    name: 'postgres',
    unreachable: postgresUnreachable,
    hold: () => holdServer(),
    open: () => {
      const schema = uniqueSchema('surface');
      schemas.push(schema);
      return postgresLog({ connectionString: POSTGRES_URL, schema });
    },
    cleanup: () => dropSchemas(schemas),
  },
  {
    name: 'redis',
    unreachable: redisUnreachable,
    hold: () => holdRedis(),
    open: () => {
      const prefix = `herald-surface-${randomUUID().slice(0, 8)}`;
      prefixes.push(prefix);
      return redisLog({ url: REDIS_URL, prefix });
    },
    cleanup: () => deletePrefixes(prefixes),
  },
  {
    name: 'nats',
    unreachable: natsUnreachable,
    hold: () => holdNats(),
    open: () => {
      const tag = randomUUID().replaceAll('-', '').slice(0, 12);
      const stream = `HERALD_SURFACE_${tag}`;
      natsStreams.push(stream);
      return natsLog({ servers: NATS_URL, stream, subjectPrefix: `heraldsurface.${tag}` });
    },
    cleanup: async () => {
      const { connect } = await import('@nats-io/transport-node');
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        for (const name of natsStreams)
          for (const stream of [name, `${name}_DLQ`]) await jsm.streams.delete(stream).catch(() => false);
      } finally {
        await nc.close();
      }
    },
  },
];

for (const backend of backends) {
  const unreachable = await backend.unreachable();
  describe(`the surface of a ${backend.name} log`, () => {
    if (unreachable !== undefined) {
      it.skip(`needs the server: ${unreachable}`, () => undefined);
      return;
    }
    it('a log, a group and a delivery have exactly the members of their interfaces', async () => {
      const release = backend.hold ? await backend.hold() : undefined;
      const log = await backend.open();
      try {
        expect.soft(reachable(log)).toEqual(LOG_MEMBERS);
        const group: ConsumerGroup = await log.group('surface', { startAt: 'start' });
        expect.soft(reachable(group)).toEqual(GROUP_MEMBERS);
        await log.append([{ type: 'surface.checked', data: { n: 1 } }]);
        let deliveries: GroupDelivery[] = [];
        for (let i = 0; i < 20 && deliveries.length === 0; i++)
          deliveries = await group.pull({ waitMs: 500 });
        expect(deliveries).toHaveLength(1);
        const [delivery] = deliveries;
        expect.soft(reachable(delivery!)).toEqual(DELIVERY_MEMBERS);
        // The members still work through the surface.
        expect(delivery!.event.type).toBe('surface.checked');
        await delivery!.ack();
        expect((await group.info()).pending).toBe(0);
        expect(await log.groups()).toEqual(['surface']);
      } finally {
        await log.close();
        await backend.cleanup?.();
        await release?.();
      }
    });
  });
}
