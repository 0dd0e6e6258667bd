import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTransport, type NatsTransport } from '../src/backends/nats/transport.js';
import { createBroker, type Broker } from '../src/index.js';
import { deferred, waitFor } from '../src/testing/index.js';
import { startNatsProxy } from './fixtures/nats-proxy.js';
import { NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNats } from './fixtures/nats-server-lock.js';

// Brokers in one process stand for instances of a service on one NATS: ephemeral events cross
// core NATS once and without echo, request/reply goes over NATS request/reply (queue groups, the
// "no responders" status), and an outage or a bound makes a send fail instead of piling up.
const unreachable = await natsUnreachable();
const open: Broker[] = [];

const uniquePrefix = (what: string): string => `herald_t_${what}_${randomUUID().slice(0, 8)}`;

function brokers(): { a: Broker; b: Broker; ta: NatsTransport; tb: NatsTransport } {
  const prefix = uniquePrefix('broker');
  const ta = natsTransport({ servers: NATS_URL, prefix });
  const tb = natsTransport({ servers: NATS_URL, prefix });
  const a = createBroker({ transport: ta });
  const b = createBroker({ transport: tb });
  open.push(a, b);
  return { a, b, ta, tb };
}

describe.skipIf(unreachable !== undefined)('brokers on one NATS', () => {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => void (release = await holdNats()));
  afterAll(async () => {
    await Promise.all(open.map((b) => b.close()));
    await release?.();
  });

  it('see each other’s ephemeral events, each exactly once, and never their own echo twice', async () => {
    const { a, b } = brokers();
    await Promise.all([a.ready(), b.ready()]);
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.subscribe('cursor.>', (e) => void seenA.push(e.id));
    b.subscribe('cursor.>', (e) => void seenB.push(e.id));
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) sent.push((await (i % 2 ? b : a).publish('cursor.moved', { i })).id);
    await waitFor(() => seenA.length >= 10 && seenB.length >= 10);
    // Every event is in: one more would be an echo, so wait for a marker behind them.
    const marker = await a.publish('cursor.done', {});
    await waitFor(() => seenA.includes(marker.id) && seenB.includes(marker.id));
    expect(seenA.sort()).toEqual([...sent, marker.id].sort());
    expect(seenB.sort()).toEqual([...sent, marker.id].sort());
  });

  it('answer a request on one broker with a reply on the other', async () => {
    const { a, b, tb } = brokers();
    await Promise.all([a.ready(), b.ready()]);
    b.reply('price.get', (e) => ({ sku: (e.data as { sku: string }).sku, price: 42 }));
    await tb.flush(); // the responder is on the server
    await expect(a.request('price.get', { sku: 'a-1' })).resolves.toEqual({ sku: 'a-1', price: 42 });
  });

  it('fail a request at once with NO_RESPONDERS when nobody replies anywhere', async () => {
    const { a, b } = brokers();
    await Promise.all([a.ready(), b.ready()]);
    // Far longer than the test's own timeout: only NATS's "no responders" status ends it in time.
    await expect(a.request('price.get', {}, { timeoutMs: 30_000 })).rejects.toMatchObject({
      code: 'NO_RESPONDERS',
    });
  });

  it('share requests in a queue group across brokers: each answered once', async () => {
    const { a, b, ta, tb } = brokers();
    await Promise.all([a.ready(), b.ready()]);
    const handled: string[] = [];
    a.reply('job.run', (e) => (handled.push(`a:${e.id}`), 'a'), { group: 'workers' });
    b.reply('job.run', (e) => (handled.push(`b:${e.id}`), 'b'), { group: 'workers' });
    await Promise.all([ta.flush(), tb.flush()]);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).request('job.run', { i })),
    );
    expect(answers).toHaveLength(20);
    expect(handled).toHaveLength(20);
    expect(new Set(handled.map((h) => h.slice(2))).size).toBe(20);
  });

  it('report a responder failure as HANDLER_FAILED, and no answer in time as REQUEST_TIMEOUT', async () => {
    const { a, b, tb } = brokers();
    await Promise.all([a.ready(), b.ready()]);
    const late = deferred();
    b.reply('fail.now', () => {
      throw new Error('boom');
    });
    b.reply('slow.one', () => late.promise);
    await tb.flush();
    await expect(a.request('fail.now', {})).rejects.toMatchObject({
      code: 'HANDLER_FAILED',
      message: expect.stringContaining('boom') as unknown,
    });
    await expect(a.request('slow.one', {}, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'REQUEST_TIMEOUT',
    });
    late.resolve();
  });

  it('reject a publish and a request with TRANSPORT_UNAVAILABLE while cut off, buffering nothing', async () => {
    const cut = await startNatsProxy();
    const prefix = uniquePrefix('outage');
    const broker = createBroker({
      transport: natsTransport({ servers: cut.url, prefix }),
      onError: () => undefined,
    });
    const other = createBroker({ transport: natsTransport({ servers: NATS_URL, prefix }) });
    open.push(broker, other);
    await Promise.all([broker.ready(), other.ready()]);
    const seen: string[] = [];
    other.subscribe('>', (e) => void seen.push(e.type));
    await broker.publish('x.before', {});
    await waitFor(() => seen.length === 1);
    cut.kill();
    // Once the client saw the disconnect, every send fails at once instead of waiting.
    await waitFor(
      async () =>
        (await broker.publish('x.lost', {}).then(
          () => undefined,
          (e: unknown) => (e as { code?: string }).code,
        )) === 'TRANSPORT_UNAVAILABLE',
    );
    await expect(broker.publish('x.lost', {})).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
    await expect(broker.request('x.ask', {}, { timeoutMs: 30_000 })).rejects.toMatchObject({
      code: 'TRANSPORT_UNAVAILABLE',
    });
    expect(seen).toEqual(['x.before']);
  });

  it('reject with TRANSPORT_UNAVAILABLE when NATS never answers', async () => {
    const transport = natsTransport({ servers: '127.0.0.1:1', prefix: 'nowhere', connectTimeoutMs: 200 });
    const broker = createBroker({ transport, onError: () => undefined });
    open.push(broker);
    await expect(broker.publish('x.lost', {})).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
  });

  it('bound the sends waiting for NATS: past maxInFlight a publish gets QUEUE_FULL', async () => {
    const transport = natsTransport({ servers: NATS_URL, prefix: uniquePrefix('bound'), maxInFlight: 1 });
    const broker = createBroker({ transport });
    open.push(broker);
    // Both wait for the first connection: the second is one too many.
    const results = await Promise.allSettled([broker.publish('x.one', {}), broker.publish('x.two', {})]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'QUEUE_FULL' } });
  });

  it('refuse options without exactly one of servers and connection, or a bad prefix', () => {
    expect(() => natsTransport({})).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
    expect(() => natsTransport({ servers: NATS_URL, prefix: 'a.>' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    );
  });
});
