import { describe, expect, it } from 'vitest';
import { createBroker, HeraldError } from '../index.js';
import { deferred, waitFor } from '../testing/index.js';

describe('worker pools, bounded queues and priorities', () => {
  it('runs at most `concurrency` handlers at once and all events eventually', async () => {
    const broker = createBroker();
    let running = 0;
    let peak = 0;
    let done = 0;
    broker.subscribe(
      'work',
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
        done++;
      },
      { concurrency: 4 },
    );
    for (let i = 0; i < 50; i++) await broker.publish('work', i);
    await waitFor(() => done === 50);
    expect(peak).toBe(4);
  });

  it('keeps order with the default concurrency of 1', async () => {
    const broker = createBroker();
    const seen: number[] = [];
    broker.subscribe('seq', async (e) => {
      await new Promise((r) => setImmediate(r));
      seen.push(e.data as number);
    });
    for (let i = 0; i < 20; i++) await broker.publish('seq', i);
    await broker.close();
    expect(seen).toEqual([...Array(20).keys()]);
  });

  it('serves critical before high before normal before low, FIFO within a priority', async () => {
    const broker = createBroker();
    const gate = deferred();
    const seen: string[] = [];
    broker.subscribe('p', async (e) => {
      if (e.data === 'first') await gate.promise;
      seen.push(e.data as string);
    });
    await broker.publish('p', 'first');
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    await broker.publish('p', 'low-1', { priority: 'low' });
    await broker.publish('p', 'normal-1');
    await broker.publish('p', 'high-1', { priority: 'high' });
    await broker.publish('p', 'critical-1', { priority: 'critical' });
    await broker.publish('p', 'normal-2', { priority: 'normal' });
    await broker.publish('p', 'critical-2', { priority: 'critical' });
    gate.resolve();
    await broker.close();
    expect(seen).toEqual(['first', 'critical-1', 'critical-2', 'high-1', 'normal-1', 'normal-2', 'low-1']);
  });

  it('keeps priority and FIFO order for a burst published in one synchronous run', async () => {
    // Normal events of an idle subscription take the broker's shared FIFO; the others its own
    // queue. Both handler kinds, and events published from inside handlers, keep the order.
    for (const handlerKind of ['sync', 'async'] as const) {
      const broker = createBroker();
      const seen: string[] = [];
      const record = (data: string): void => {
        seen.push(data);
        if (data === 'n-1') void broker.publish('burst', 'n-late');
        if (data === 'n-2') void broker.publish('burst', 'c-late', { priority: 'critical' });
      };
      broker.subscribe(
        'burst',
        handlerKind === 'sync'
          ? (e) => record(e.data as string)
          : async (e) => {
              await new Promise((r) => setImmediate(r));
              record(e.data as string);
            },
      );
      const order: [string, ('critical' | 'high' | 'low')?][] = [
        ['n-1'],
        ['c-1', 'critical'],
        ['n-2'],
        ['h-1', 'high'],
        ['n-3'],
        ['l-1', 'low'],
        ['n-4'],
      ];
      for (const [data, priority] of order) void broker.publish('burst', data, priority ? { priority } : {});
      await waitFor(() => seen.length === 9);
      await broker.close();
      // n-late (normal) is published while l-1 (low) still waits, so it passes it.
      expect(seen, handlerKind).toEqual([
        'c-1',
        'h-1',
        'n-1',
        'n-2',
        'c-late',
        'n-3',
        'n-4',
        'n-late',
        'l-1',
      ]);
    }
  });

  it('reports handler latency from the first deliveries on', async () => {
    const broker = createBroker();
    broker.subscribe('slow', () => new Promise<void>((r) => setTimeout(r, 20)));
    for (let i = 0; i < 3; i++) await broker.publish('slow', i, { wait: 'handled' });
    const [stats] = broker.stats().subscriptions;
    // A lower bound only: each handler took at least 20 ms (timers never fire early by a whole ms).
    expect(stats!.latencyP50Ms).toBeGreaterThanOrEqual(19);
    expect(stats!.latencyP99Ms).toBeGreaterThanOrEqual(stats!.latencyP50Ms);
    await broker.close();
  });

  it("overflow 'block' makes the publisher wait for space, losing nothing", async () => {
    const broker = createBroker();
    const gate = deferred();
    const seen: number[] = [];
    broker.subscribe(
      'b',
      async (e) => {
        await gate.promise;
        seen.push(e.data as number);
      },
      { maxQueue: 2, overflow: 'block' },
    );
    await broker.publish('b', 0); // taken by the worker
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    await broker.publish('b', 1);
    await broker.publish('b', 2);
    let thirdAccepted = false;
    const third = broker.publish('b', 3).then(() => (thirdAccepted = true));
    await new Promise((r) => setImmediate(r));
    expect(thirdAccepted).toBe(false);
    gate.resolve();
    await third;
    await broker.close();
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it("overflow 'reject' fails the publish with QUEUE_FULL naming the subscription, others still get it", async () => {
    const broker = createBroker();
    const gate = deferred();
    let other = 0;
    broker.subscribe('r', () => gate.promise, { name: 'slow', maxQueue: 1, overflow: 'reject' });
    broker.subscribe('r', () => void other++, { name: 'fast' });
    await broker.publish('r', 0);
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    await broker.publish('r', 1);
    const err: unknown = await broker.publish('r', 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HeraldError);
    expect(err).toMatchObject({ code: 'QUEUE_FULL', details: { subscriptions: ['slow'], accepted: 1 } });
    gate.resolve();
    await broker.close();
    expect(other).toBe(3);
    expect(broker.stats().subscriptions.find((s) => s.name === 'slow')?.rejected).toBe(1);
  });

  it("overflow 'drop-oldest' drops the oldest least urgent event and counts it", async () => {
    const dropped: unknown[] = [];
    const broker = createBroker({ onError: (_err, info) => void dropped.push(info.event.data) });
    const gate = deferred();
    const seen: unknown[] = [];
    broker.subscribe(
      'd',
      async (e) => {
        await gate.promise;
        seen.push(e.data);
      },
      { maxQueue: 2, overflow: 'drop-oldest' },
    );
    await broker.publish('d', 'running');
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    await broker.publish('d', 'a', { priority: 'critical' });
    await broker.publish('d', 'b');
    await broker.publish('d', 'c');
    gate.resolve();
    await broker.close();
    expect(seen).toEqual(['running', 'a', 'c']);
    expect(dropped).toEqual(['b']);
    expect(broker.stats().subscriptions[0]!.dropped).toBe(1);
  });

  it('a full queue of a slow subscription does not slow another subscription', async () => {
    const broker = createBroker({ onError: () => undefined });
    const gate = deferred();
    let fast = 0;
    broker.subscribe('x', () => gate.promise, { maxQueue: 5, overflow: 'drop-oldest', name: 'slow' });
    broker.subscribe('x', () => void fast++, { name: 'fast' });
    for (let i = 0; i < 100; i++) await broker.publish('x', i);
    await waitFor(() => fast === 100);
    gate.resolve();
    await broker.close();
  });
});

describe('queue groups', () => {
  it('gives each event to exactly one member of a group, and to every plain subscription', async () => {
    const broker = createBroker();
    const byMember = [0, 0, 0];
    let plain = 0;
    for (let m = 0; m < 3; m++) broker.subscribe('job.*', () => void byMember[m]!++, { group: 'workers' });
    broker.subscribe('job.*', () => void plain++);
    for (let i = 0; i < 300; i++) await broker.publish('job.run', i);
    await broker.close();
    expect(byMember.reduce((a, b) => a + b)).toBe(300);
    expect(byMember.every((n) => n > 0)).toBe(true);
    expect(plain).toBe(300);
  });

  it('groups members by name across different patterns, as NATS does', async () => {
    const broker = createBroker();
    let total = 0;
    broker.subscribe('a.*', () => void total++, { group: 'g' });
    broker.subscribe('a.>', () => void total++, { group: 'g' });
    for (let i = 0; i < 10; i++) await broker.publish('a.b', i);
    await broker.close();
    expect(total).toBe(10);
  });

  it('prefers a member with queue space over a full one', async () => {
    const broker = createBroker();
    const gate = deferred();
    let second = 0;
    broker.subscribe('q', () => gate.promise, { group: 'g', maxQueue: 1, overflow: 'reject' });
    broker.subscribe('q', () => void second++, { group: 'g' });
    for (let i = 0; i < 20; i++) await broker.publish('q', i);
    gate.resolve();
    await broker.close();
    expect(second).toBeGreaterThanOrEqual(18);
  });
});
