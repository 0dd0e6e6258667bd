import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { holdRedis } from './fixtures/redis-server-lock.js';
import {
  deletePrefixes,
  REDIS_URL,
  redisUnreachable,
  testClient,
  uniquePrefix,
} from './fixtures/redis-server.js';

// Herald's groups are Redis consumer groups on the events stream: what redis-cli sees of them,
// and the paths the conformance suite does not force (a reclaimed lease, sparse types, a pull
// whose redeliveries and new events together exceed `max`).
const unreachable = await redisUnreachable();

/** XINFO GROUPS as objects. */
async function groupsOf(client: Redis, key: string): Promise<Record<string, unknown>[]> {
  const infos = (await client.xinfo('GROUPS', key)) as unknown[][];
  return infos.map((info) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < info.length; i += 2) out[String(info[i])] = info[i + 1];
    return out;
  });
}

describe.skipIf(unreachable !== undefined)('redis log: groups are Redis consumer groups', () => {
  const prefix = uniquePrefix('native');
  let release: () => Promise<void>;
  let log: EventLog;
  let client: Redis;
  const events = `${prefix}:events`;

  beforeAll(async () => {
    release = await holdRedis();
    log = await redisLog({ url: REDIS_URL, prefix });
    client = testClient();
  });
  afterAll(async () => {
    await log.close();
    client.disconnect();
    await deletePrefixes([prefix]);
    await release();
  });

  it('XINFO GROUPS on the events stream shows the group, its last delivered position and its pending count', async () => {
    const [first] = await log.append([{ type: 'cli.a' }]);
    const group = await log.group('cli', { types: ['cli.>'], startAt: first!.position });
    await log.append([{ type: 'cli.b' }, { type: 'other.c' }]);
    const deliveries = await group.pull({ max: 10 });
    expect(deliveries.map((d) => d.event.type)).toEqual(['cli.a', 'cli.b']);
    // The group read past other.c (and acked it: it is not the group's type).
    const info = async () => (await groupsOf(client, events)).find((g) => g['name'] === 'cli');
    await waitFor(async () => (await info())?.['pending'] === 2);
    expect(await info()).toMatchObject({ 'last-delivered-id': `${first!.position + 2}-0` });
    await deliveries[0]!.ack();
    expect((await client.xpending(events, 'cli'))[0]).toBe(1);
    expect(await group.info()).toMatchObject({ pending: 1, deliveredPosition: first!.position + 2 });
  });

  it('an expired lease is reclaimed (XAUTOCLAIM) with the delivery count XPENDING shows', async () => {
    const group = await log.group('lease', { types: ['lease.>'], ackWaitMs: 40, maxDeliveries: 10 });
    const [appended] = await log.append([{ type: 'lease.a' }]);
    const [first] = await group.pull({ max: 1, waitMs: 1_000 });
    expect(first!.deliveryCount).toBe(1);
    const [again] = await group.pull({ max: 1, waitMs: 2_000 });
    expect(again!.event.position).toBe(appended!.position);
    expect(again!.deliveryCount).toBe(2);
    const id = `${appended!.position}-0`;
    const [[, consumer, , count]] = (await client.xpending(events, 'lease', id, id, 1)) as [
      [string, string, number, number],
    ];
    expect([consumer, count]).toEqual(['herald', 2]);
    await first!.nack({ error: 'stale' }); // the stale delivery's nack is ignored
    expect(await group.status(appended!.position)).toBe('processing');
    await again!.ack();
    expect((await client.xpending(events, 'lease'))[0]).toBe(0);
  });

  it('a group whose types are rare in the stream gets only its events, and the others are acked', async () => {
    const group = await log.group('rare', { types: ['rare.x'], startAt: 'end' });
    const noise = Array.from({ length: 300 }, (_, n) => ({ type: 'noise.n', data: { n } }));
    await log.append([...noise, { type: 'rare.x', data: { n: 1 } }, ...noise]);
    await log.append([{ type: 'rare.x', data: { n: 2 } }]);
    const got: unknown[] = [];
    await waitFor(async () => {
      for (const d of await group.pull({ max: 5, waitMs: 50 })) {
        got.push(d.event.data);
        await d.ack();
      }
      return got.length >= 2;
    });
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await client.xpending(events, 'rare'))[0]).toBe(0);
    expect(await group.info()).toMatchObject({ pending: 0, lag: 0 });
  });

  it('a pull never hands out more than max when due redeliveries and new events meet', async () => {
    const group = await log.group('meet', { types: ['meet.>'], ackWaitMs: 60_000 });
    const [a] = await log.append([{ type: 'meet.a' }]);
    const [first] = await group.pull({ max: 1, waitMs: 1_000 });
    await first!.nack({ delayMs: 0 });
    const [b, c, d] = await log.append([{ type: 'meet.b' }, { type: 'meet.c' }, { type: 'meet.d' }]);
    const one = await group.pull({ max: 2 });
    expect(one.map((x) => [x.event.position, x.deliveryCount])).toEqual([
      [a!.position, 2],
      [b!.position, 1],
    ]);
    const two = await group.pull({ max: 10 });
    expect(two.map((x) => [x.event.position, x.deliveryCount])).toEqual([
      [c!.position, 1],
      [d!.position, 1],
    ]);
    for (const x of [...one, ...two]) await x.ack();
    expect(await group.info()).toMatchObject({ pending: 0, lag: 0 });
  });

  // A quiet group's pull runs no script (plain commands decide that nothing is due), and acks are a
  // plain XACK unless the due zset exists: what other processes did must still be seen.
  describe('with a member in another process', () => {
    let other: EventLog;
    beforeAll(async () => {
      other = await redisLog({ url: REDIS_URL, prefix });
    });
    afterAll(async () => {
      await other.close();
    });

    /** Pulls (and acks) until `count` deliveries came: their positions and delivery counts. */
    async function drain(group: Awaited<ReturnType<EventLog['group']>>, count: number) {
      const seen: [number, number][] = [];
      await waitFor(async () => {
        for (const d of await group.pull({ max: 10, waitMs: 100 })) {
          seen.push([d.event.position, d.deliveryCount]);
          await d.ack();
        }
        return seen.length >= count;
      });
      return seen;
    }

    it("sees the other member's nack with a delay when it comes due", async () => {
      const options = { types: ['far.>'], ackWaitMs: 60_000 };
      const here = await log.group('far', options);
      const there = await other.group('far', options);
      const [x] = await log.append([{ type: 'far.x' }]);
      expect(await drain(here, 1)).toEqual([[x!.position, 1]]); // the group is quiet here now
      const [y] = await log.append([{ type: 'far.y' }]);
      const [got] = await there.pull({ max: 1, waitMs: 1_000 });
      expect(got!.event.position).toBe(y!.position);
      await got!.nack({ delayMs: 100 });
      expect(await drain(here, 1)).toEqual([[y!.position, 2]]);
      expect(await here.info()).toMatchObject({ pending: 0 });
    });

    it('sees a lease the other member let expire', async () => {
      const options = { types: ['lapse.>'], ackWaitMs: 150, maxDeliveries: 10 };
      const here = await log.group('lapse', options);
      const there = await other.group('lapse', options);
      const [x] = await log.append([{ type: 'lapse.x' }]);
      expect(await drain(here, 1)).toEqual([[x!.position, 1]]);
      const [y] = await log.append([{ type: 'lapse.y' }]);
      const [got] = await there.pull({ max: 1, waitMs: 1_000 });
      expect(got!.event.position).toBe(y!.position); // never acked
      expect(await drain(here, 1)).toEqual([[y!.position, 2]]);
      expect(await here.info()).toMatchObject({ pending: 0 });
    });

    it('an ack of a delivery the other member has since nacked with a delay still counts', async () => {
      const options = { types: ['stale.>'], ackWaitMs: 50, maxDeliveries: 10 };
      const here = await log.group('stale', options);
      const there = await other.group('stale', options);
      const [x] = await log.append([{ type: 'stale.x' }]);
      const [first] = await here.pull({ max: 1, waitMs: 1_000 });
      const [second] = await there.pull({ max: 1, waitMs: 2_000 }); // the lease expired
      expect(second!.deliveryCount).toBe(2);
      await second!.nack({ delayMs: 60_000 }); // out of the PEL, into the due zset
      expect(await client.zscore(`${prefix}:gdue:stale`, String(x!.position))).not.toBeNull();
      await first!.ack();
      expect(await client.zscore(`${prefix}:gdue:stale`, String(x!.position))).toBeNull();
      expect(await here.status(x!.position)).toBe('completed');
      expect(await here.info()).toMatchObject({ pending: 0 });
    });
  });
});
