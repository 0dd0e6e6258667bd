import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisDedupeStore } from '../src/backends/redis/dedupe-store.js';
import { redisTransport } from '../src/backends/redis/transport.js';
import { createBroker, memoryLog, type Broker } from '../src/index.js';
import { waitFor } from '../src/testing/index.js';
import { holdRedis } from './fixtures/redis-server-lock.js';
import { REDIS_URL, deletePrefixes, redisUnreachable, uniquePrefix } from './fixtures/redis-server.js';

// Brokers in one process stand for instances of a service on one Redis: what crosses pub/sub,
// exactly once and without echo, what a Redis outage means to a publisher, and dedup in Redis.
const unreachable = await redisUnreachable();
const prefixes: string[] = [];
const open: Broker[] = [];

function brokers(options: { log?: boolean; ephemeral?: string[] } = {}): [Broker, Broker, string] {
  const prefix = uniquePrefix('broker');
  prefixes.push(prefix);
  const make = (): Broker => {
    const broker = createBroker({
      transport: redisTransport({ url: REDIS_URL, prefix }),
      ...(options.log && { log: memoryLog() }),
      ...(options.ephemeral && { ephemeral: options.ephemeral }),
    });
    open.push(broker);
    return broker;
  };
  return [make(), make(), prefix];
}

/** A raw subscriber on the transport's channels, counting what was actually sent. */
async function watch(prefix: string): Promise<{ channels: string[]; close: () => void }> {
  const redis = new Redis(REDIS_URL);
  const channels: string[] = [];
  redis.on('pmessage', (_p: string, channel: string) => channels.push(channel));
  await redis.psubscribe(`${prefix}:events:*`);
  return { channels, close: () => redis.disconnect() };
}

describe.skipIf(unreachable !== undefined)('brokers on one Redis', () => {
  let release: (() => Promise<void>) | undefined;
  // The restart test must not restart the server under these brokers.
  beforeAll(async () => void (release = await holdRedis()));
  afterAll(async () => {
    await Promise.all(open.map((b) => b.close()));
    await deletePrefixes(prefixes);
    await release?.();
  });

  it('see each other’s events, each exactly once, and never their own echo twice', async () => {
    const [a, b] = brokers();
    await Promise.all([a.ready(), b.ready()]);
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.subscribe('cursor.>', (e) => void seenA.push(e.id));
    b.subscribe('cursor.>', (e) => void seenB.push(e.id));
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      sent.push((await (i % 2 ? b : a).publish('cursor.moved', { i })).id);
    }
    await waitFor(() => seenA.length >= 10 && seenB.length >= 10);
    // Every event is in: one more would be an echo, so wait for a marker behind them.
    const marker = await a.publish('cursor.done', {});
    await waitFor(() => seenA.includes(marker.id) && seenB.includes(marker.id));
    expect(seenA.sort()).toEqual([...sent, marker.id].sort());
    expect(seenB.sort()).toEqual([...sent, marker.id].sort());
  });

  it('with a log, send only their ephemeral types over Redis', async () => {
    const [a, b, prefix] = brokers({ log: true, ephemeral: ['terminal.output.>'] });
    const watcher = await watch(prefix);
    try {
      await Promise.all([a.ready(), b.ready()]);
      const seenB: string[] = [];
      b.subscribe('>', (e) => void seenB.push(e.type));
      await a.publish('order.created', { id: 'o-1' });
      await a.publish('terminal.output.line', { text: 'hi' });
      await a.publish('presence.ping', {}, { ephemeral: true });
      await waitFor(() => seenB.length === 2 && watcher.channels.length === 2);
      expect(seenB).toEqual(['terminal.output.line', 'presence.ping']);
      expect(watcher.channels).toEqual([
        `${prefix}:events:terminal.output.line`,
        `${prefix}:events:presence.ping`,
      ]);
    } finally {
      watcher.close();
    }
  });

  it('stop delivering after an unsubscribe, and a closed broker receives nothing', async () => {
    const [a, b] = brokers();
    await Promise.all([a.ready(), b.ready()]);
    const seenB: string[] = [];
    const sub = b.subscribe('x.>', (e) => void seenB.push(e.type));
    await a.publish('x.one', {});
    await waitFor(() => seenB.length === 1);
    await sub.unsubscribe();
    const later: string[] = [];
    b.subscribe('y.>', (e) => void later.push(e.type));
    await a.publish('x.two', {});
    await a.publish('y.one', {});
    await waitFor(() => later.length === 1);
    await b.close();
    const c = createBroker({ transport: redisTransport({ url: REDIS_URL, prefix: prefixes.at(-1)! }) });
    open.push(c);
    const seenC: string[] = [];
    c.subscribe('y.>', (e) => void seenC.push(e.type));
    await c.ready();
    await a.publish('y.two', {});
    await waitFor(() => seenC.length === 1); // a live instance got it; the closed one did not
    expect(seenB).toEqual(['x.one']);
    expect(later).toEqual(['y.one']);
  });

  it('reject a publish with TRANSPORT_UNAVAILABLE while Redis is away, delivering it nowhere', async () => {
    const prefix = uniquePrefix('outage');
    const client = new Redis(REDIS_URL);
    const broker = createBroker({ transport: redisTransport({ client, prefix }) });
    open.push(broker);
    await broker.ready();
    const seen: string[] = [];
    broker.subscribe('>', (e) => void seen.push(e.type));
    await broker.publish('x.before', {});
    client.disconnect(); // the publishing connection is gone: nothing is buffered for later
    await expect(broker.publish('x.lost', {})).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['x.before']);
  });

  it('reject with TRANSPORT_UNAVAILABLE when Redis never answers, after the connect timeout', async () => {
    const transport = redisTransport({
      url: 'redis://127.0.0.1:1',
      prefix: 'nowhere',
      connectTimeoutMs: 200,
    });
    const broker = createBroker({ transport, onError: () => undefined });
    open.push(broker);
    await expect(broker.publish('x.lost', {})).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
  });

  it('bound the sends waiting for Redis: past maxInFlight a publish gets QUEUE_FULL', async () => {
    const prefix = uniquePrefix('bound');
    const transport = redisTransport({ url: REDIS_URL, prefix, maxInFlight: 1 });
    const broker = createBroker({ transport });
    open.push(broker);
    await broker.ready();
    const results = await Promise.allSettled([broker.publish('x.one', {}), broker.publish('x.two', {})]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'QUEUE_FULL' } });
  });

  it('share a Redis dedupe store: a duplicate id is handled once across instances', async () => {
    const prefix = uniquePrefix('dedupe');
    prefixes.push(prefix);
    const stores = [
      redisDedupeStore({ url: REDIS_URL, prefix }),
      redisDedupeStore({ url: REDIS_URL, prefix }),
    ];
    const [a, b] = [createBroker(), createBroker()];
    open.push(a, b);
    const handled: string[] = [];
    // The key is the subscription's name and the event id: name it the same on every instance.
    a.subscribe('pay.>', (e) => void handled.push(`a:${e.id}`), {
      name: 'billing',
      dedupe: { store: stores[0]! },
    });
    b.subscribe('pay.>', (e) => void handled.push(`b:${e.id}`), {
      name: 'billing',
      dedupe: { store: stores[1]! },
    });
    for (const id of ['p-1', 'p-2', 'p-3']) {
      await a.publish('pay.captured', {}, { id, wait: 'handled' });
      await b.publish('pay.captured', {}, { id, wait: 'handled' });
    }
    expect(handled).toEqual(['a:p-1', 'a:p-2', 'a:p-3']);
    expect(b.stats().subscriptions[0]!.duplicates).toBe(3);
    expect(await stores[0]!.firstSeen('other', 60_000)).toBe(true);
    expect(await stores[1]!.firstSeen('other', 60_000)).toBe(false);
    await Promise.all(stores.map((s) => s.close()));
  });
});
