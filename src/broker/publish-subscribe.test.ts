import { describe, expect, it } from 'vitest';
import { createBroker, HandlerFailedError, HeraldError, type HeraldEvent } from '../index.js';
import { deferred, waitFor } from '../testing/index.js';

describe('publish and subscribe', () => {
  it('delivers a published event to a matching subscription with a full CloudEvents envelope', async () => {
    const broker = createBroker({ source: 'shop' });
    const seen: HeraldEvent[] = [];
    broker.subscribe('order.created', (e) => void seen.push(e));
    const published = await broker.publish('order.created', { id: 'o-1' });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toBe(published);
    expect(published).toMatchObject({
      specversion: '1.0',
      type: 'order.created',
      source: 'shop',
      data: { id: 'o-1' },
    });
    expect(published.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Date.parse(published.time!)).not.toBeNaN();
  });

  it('routes by NATS rules: * is one token, > is the rest, orders.> does not match orders', async () => {
    const broker = createBroker();
    const got: Record<string, string[]> = { star: [], gt: [], exact: [] };
    broker.subscribe('orders.*', (e) => void got.star!.push(e.type));
    broker.subscribe('orders.>', (e) => void got.gt!.push(e.type));
    broker.subscribe('orders', (e) => void got.exact!.push(e.type));
    for (const t of ['orders', 'orders.created', 'orders.eu.created', 'payments.created'])
      await broker.publish(t, null);
    await broker.close();
    expect(got).toEqual({
      star: ['orders.created'],
      gt: ['orders.created', 'orders.eu.created'],
      exact: ['orders'],
    });
  });

  it('does not run the handler inside the publish call', async () => {
    const broker = createBroker();
    let ran = false;
    broker.subscribe('a', () => void (ran = true));
    const p = broker.publish('a', 1);
    expect(ran).toBe(false);
    await p;
    await waitFor(() => ran);
  });

  it('rejects an invalid type and an invalid pattern with codes that name the problem', async () => {
    const broker = createBroker();
    await expect(broker.publish('orders..created', {})).rejects.toMatchObject({ code: 'INVALID_TYPE' });
    await expect(broker.publish('orders.*', {})).rejects.toMatchObject({ code: 'INVALID_TYPE' });
    expect(() => broker.subscribe('orders.>.x', () => undefined)).toThrow(
      expect.objectContaining({ code: 'INVALID_PATTERN' }),
    );
    expect(() => broker.subscribe('ord*', () => undefined)).toThrow(HeraldError);
  });

  it('publishes an event given as one object with its attributes', async () => {
    const broker = createBroker();
    const e = await broker.publish({
      type: 'user.signup',
      data: { name: 'ada' },
      subject: 'u-1',
      priority: 'high',
      severity: 'info',
    });
    expect(e).toMatchObject({
      type: 'user.signup',
      subject: 'u-1',
      priority: 'high',
      severity: 'info',
      data: { name: 'ada' },
    });
  });

  it('publishBatch validates every event before delivering any', async () => {
    const broker = createBroker();
    const seen: string[] = [];
    broker.subscribe('>', (e) => void seen.push(e.type));
    await expect(
      broker.publishBatch([
        { type: 'a', data: 1 },
        { type: 'b..c', data: 2 },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_TYPE' });
    const events = await broker.publishBatch(
      [
        { type: 'a', data: 1 },
        { type: 'b', data: 2 },
      ],
      { wait: 'handled' },
    );
    expect(events.map((e) => e.type)).toEqual(['a', 'b']);
    expect(seen).toEqual(['a', 'b']);
  });

  it("wait: 'handled' resolves after every matching subscription handled the event", async () => {
    const broker = createBroker();
    const gate = deferred();
    let done = 0;
    broker.subscribe('job', async () => {
      await gate.promise;
      done++;
    });
    broker.subscribe('job', () => void done++);
    const p = broker.publish('job', {}, { wait: 'handled' });
    await waitFor(() => done === 1);
    gate.resolve();
    await p;
    expect(done).toBe(2);
  });

  it("wait: 'handled' rejects with an error listing each failed subscription", async () => {
    const broker = createBroker({ onError: () => undefined });
    broker.subscribe('job', () => undefined, { name: 'ok' });
    broker.subscribe(
      'job',
      () => {
        throw new Error('boom one');
      },
      { name: 'first' },
    );
    broker.subscribe('job', () => Promise.reject(new Error('boom two')), {
      name: 'second',
      deadLetter: false,
    });
    const err: unknown = await broker.publish('job', {}, { wait: 'handled' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandlerFailedError);
    const failures = (err as HandlerFailedError).failures;
    expect(failures.map((f) => f.subscription).sort()).toEqual(['first', 'second']);
    expect((err as HandlerFailedError).message).toContain('boom one');
    expect((err as HandlerFailedError).code).toBe('HANDLER_FAILED');
  });

  it('unsubscribe stops routing and resolves once queued events are handled', async () => {
    const broker = createBroker();
    const seen: number[] = [];
    const sub = broker.subscribe('n', (e) => void seen.push(e.data as number));
    await broker.publish('n', 1);
    await sub.unsubscribe();
    expect(seen).toEqual([1]);
    await broker.publish('n', 2);
    await broker.close();
    expect(seen).toEqual([1]);
    expect(broker.stats().unrouted).toBe(1);
  });

  it('an aborted signal unsubscribes', async () => {
    const broker = createBroker();
    const ac = new AbortController();
    const seen: unknown[] = [];
    broker.subscribe('n', (e) => void seen.push(e.data), { signal: ac.signal });
    await broker.publish('n', 1, { wait: 'handled' });
    ac.abort();
    await waitFor(() => broker.stats().subscriptions.length === 0);
    await broker.publish('n', 2);
    expect(seen).toEqual([1]);
  });

  it('refuses duplicate subscription names and bad options with INVALID_OPTION', () => {
    const broker = createBroker();
    broker.subscribe('a', () => undefined, { name: 'x' });
    expect(() => broker.subscribe('b', () => undefined, { name: 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => broker.subscribe('b', () => undefined, { concurrency: 0 })).toThrow(
      /concurrency must be an integer/,
    );
    expect(() => broker.subscribe('b', () => undefined, { maxQueue: 1.5 })).toThrow(/maxQueue/);
    // @ts-expect-error: not a policy
    expect(() => broker.subscribe('b', () => undefined, { overflow: 'spill' })).toThrow(/overflow must be/);
  });

  it('sets expiresat from ttlMs and keeps extension attributes', async () => {
    const broker = createBroker();
    const before = Date.now();
    const e = await broker.publish('t', 1, { ttlMs: 60_000, tenantid: 'acme' });
    expect(Date.parse(e.expiresat!)).toBeGreaterThanOrEqual(before + 60_000);
    expect(e.tenantid).toBe('acme');
  });

  it('counts per subscription in stats()', async () => {
    const broker = createBroker();
    broker.subscribe('s', () => undefined, { name: 'counted' });
    for (let i = 0; i < 5; i++) await broker.publish('s', i, { wait: 'handled' });
    const [s] = broker.stats().subscriptions;
    expect(s).toMatchObject({
      name: 'counted',
      published: 5,
      delivered: 5,
      succeeded: 5,
      failed: 0,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(broker.stats().published).toBe(5);
  });
});
