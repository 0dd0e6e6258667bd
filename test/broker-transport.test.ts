import { describe, expect, it } from 'vitest';
import { createBroker, memoryLog, memoryTransportHub, type HeraldEvent } from '../src/index.js';
import type { EventTransport, TransportMessage } from '../src/broker/transport.js';
import { waitFor } from '../src/testing/index.js';

// The broker's side of a transport, on in-process transports: what crosses, what does not, and
// what a failed send means. test/redis-broker.test.ts runs the same promises on Redis.

function pair(options: { ephemeral?: string[]; log?: boolean } = {}) {
  const hub = memoryTransportHub();
  const make = () =>
    createBroker({
      transport: hub.transport(),
      ...(options.log && { log: memoryLog() }),
      ...(options.ephemeral && { ephemeral: options.ephemeral }),
    });
  return { hub, a: make(), b: make() };
}

describe('a broker with a transport', () => {
  it('delivers its events to the other broker once, and to itself once (no echo)', async () => {
    const { a, b } = pair();
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.subscribe('cursor.>', (e) => void seenA.push(e.id));
    b.subscribe('cursor.>', (e) => void seenB.push(e.id));
    const one = await a.publish('cursor.moved', { x: 1 });
    const two = await b.publish('cursor.moved', { x: 2 });
    await waitFor(() => seenA.length === 2 && seenB.length === 2);
    await Promise.all([a.close(), b.close()]);
    expect(seenA.sort()).toEqual([one.id, two.id].sort());
    expect(seenB.sort()).toEqual([one.id, two.id].sort());
  });

  it('delivers a received event exactly like a local one: attributes and data intact, queue groups once', async () => {
    const { a, b } = pair();
    const got: HeraldEvent[] = [];
    let grouped = 0;
    b.subscribe('order.*', (e) => void got.push(e));
    b.subscribe('order.*', () => void grouped++, { group: 'w' });
    b.subscribe('order.*', () => void grouped++, { group: 'w' });
    const sent = await a.publish(
      'order.created',
      { id: 'o-1', n: [1, 2] },
      { subject: 's-1', priority: 'high' },
    );
    await waitFor(() => got.length === 1 && grouped === 1);
    expect(got[0]).toEqual(sent);
    await Promise.all([a.close(), b.close()]);
  });

  it('with a log, sends only the ephemeral types (and per-publish ephemeral events)', async () => {
    const { hub, a, b } = pair({ log: true, ephemeral: ['terminal.output.>'] });
    const seenB: string[] = [];
    b.subscribe('>', (e) => void seenB.push(e.type));
    await a.publish('order.created', { id: 'o-1' });
    await a.publish('terminal.output.line', { text: 'hi' });
    await a.publish('presence.ping', {}, { ephemeral: true });
    await a.publishBatch([{ type: 'order.paid', data: {} }]);
    await waitFor(() => seenB.length === 2);
    expect(seenB).toEqual(['terminal.output.line', 'presence.ping']);
    expect(hub.sent).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('without a log, sends every event, batches included', async () => {
    const { hub, a, b } = pair();
    const seenB: string[] = [];
    b.subscribe('>', (e) => void seenB.push(e.type));
    await a.publishBatch([
      { type: 'x.one', data: 1 },
      { type: 'x.two', data: 2 },
    ]);
    await waitFor(() => seenB.length === 2);
    expect(seenB).toEqual(['x.one', 'x.two']);
    expect(hub.sent).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects a publish when the transport is down, delivering it nowhere', async () => {
    const { hub, a, b } = pair();
    const seen: string[] = [];
    a.subscribe('>', (e) => void seen.push(`a:${e.type}`));
    b.subscribe('>', (e) => void seen.push(`b:${e.type}`));
    hub.down = true;
    await expect(a.publish('x.lost', {})).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
    hub.down = false;
    await a.publish('x.kept', {});
    await waitFor(() => seen.length === 2);
    expect(seen.sort()).toEqual(['a:x.kept', 'b:x.kept']);
    await Promise.all([a.close(), b.close()]);
  });

  it('stops receiving after an unsubscribe and after close', async () => {
    const { a, b } = pair();
    const seenB: string[] = [];
    const sub = b.subscribe('x.>', (e) => void seenB.push(e.type));
    await a.publish('x.one', {});
    await waitFor(() => seenB.length === 1);
    await sub.unsubscribe();
    const late: string[] = [];
    b.subscribe('y.>', (e) => void late.push(e.type));
    await a.publish('x.two', {});
    await a.publish('y.one', {});
    await waitFor(() => late.length === 1);
    await b.close();
    await a.publish('y.two', {});
    expect(seenB).toEqual(['x.one']);
    expect(late).toEqual(['y.one']);
    await a.close();
  });

  it('reports malformed messages to onError and keeps receiving', async () => {
    const listeners: ((m: TransportMessage) => void)[] = [];
    const fake: EventTransport = {
      publish: () => Promise.resolve(),
      subscribe: (onMessage) => {
        listeners.push(onMessage);
        return Promise.resolve(() => Promise.resolve());
      },
      close: () => Promise.resolve(),
    };
    const errors: { code?: string; kind: string }[] = [];
    const broker = createBroker({
      transport: fake,
      onError: (error, info) => errors.push({ kind: info.kind, code: (error as { code?: string }).code }),
    });
    await broker.ready();
    const seen: string[] = [];
    broker.subscribe('>', (e) => void seen.push(e.type));
    listeners[0]!({ origin: 'other', event: { type: 'no.id' } } as unknown as TransportMessage);
    listeners[0]!({ origin: 'other', event: { specversion: '1.0', id: 'e1', source: 's', type: 'ok.one' } });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['ok.one']);
    expect(errors).toEqual([{ kind: 'transport', code: 'INVALID_EVENT' }]);
    await broker.close();
  });

  it('requests reach a responder of another broker; no responder fails at once; a failure comes back', async () => {
    const { a, b } = pair();
    b.reply('stock.check', (e) => ({ sku: (e.data as { sku: string }).sku, count: 3 }));
    b.reply('stock.fail', () => {
      throw new Error('out of order');
    });
    await expect(a.request('stock.check', { sku: 'apple' })).resolves.toEqual({ sku: 'apple', count: 3 });
    await expect(a.request('stock.none', {})).rejects.toMatchObject({ code: 'NO_RESPONDERS' });
    await expect(a.request('stock.fail', {})).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    await Promise.all([a.close(), b.close()]);
  });

  it('shares requests among a queue group across brokers, and unsubscribing a responder removes it', async () => {
    const { a, b } = pair();
    const byBroker = { a: 0, b: 0 };
    a.reply('job.run', () => ++byBroker.a, { group: 'workers' });
    const rb = b.reply('job.run', () => ++byBroker.b, { group: 'workers' });
    for (let i = 0; i < 4; i++) await a.request('job.run', {});
    expect(byBroker).toEqual({ a: 2, b: 2 });
    await rb.unsubscribe();
    for (let i = 0; i < 2; i++) await a.request('job.run', {});
    expect(byBroker).toEqual({ a: 4, b: 2 });
    await Promise.all([a.close(), b.close()]);
  });
});
