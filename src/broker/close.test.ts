import { describe, expect, it } from 'vitest';
import { createBroker } from '../index.js';
import { deferred, waitFor } from '../testing/index.js';

describe('close', () => {
  it('drains queued events and waits for handlers in flight', async () => {
    const broker = createBroker();
    let done = 0;
    broker.subscribe(
      'c',
      async () => {
        await new Promise((r) => setImmediate(r));
        done++;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 10; i++) await broker.publish('c', i);
    const result = await broker.close();
    expect(done).toBe(10);
    expect(result).toEqual({ drained: true, undelivered: [], inFlight: [], refusedPublishers: 0 });
  });

  it('stops accepting: publish after close rejects with BROKER_CLOSED', async () => {
    const broker = createBroker();
    const closing = broker.close();
    expect(broker.closed).toBe(true);
    await expect(broker.publish('c', 1)).rejects.toMatchObject({ code: 'BROKER_CLOSED' });
    expect(() => broker.subscribe('c', () => undefined)).toThrow(/closed/);
    await closing;
  });

  it('reports what it could not finish by the deadline instead of dropping it', async () => {
    const broker = createBroker();
    const stuck = deferred();
    let aborted = false;
    broker.subscribe(
      'c',
      async (_e, ctx) => {
        ctx.signal.addEventListener('abort', () => void (aborted = true));
        await stuck.promise;
      },
      { name: 'stuck' },
    );
    const handled = broker.publish('c', 'running', { wait: 'handled' }).catch((e: unknown) => e);
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    await broker.publish('c', 'queued-1');
    await broker.publish('c', 'queued-2');
    const result = await broker.close({ timeoutMs: 20 });
    expect(result.drained).toBe(false);
    expect(result.inFlight.map((x) => x.event.data)).toEqual(['running']);
    expect(result.undelivered.map((x) => [x.subscription, x.event.data])).toEqual([
      ['stuck', 'queued-1'],
      ['stuck', 'queued-2'],
    ]);
    expect(aborted).toBe(true);
    expect(await handled).toMatchObject({ code: 'HANDLER_FAILED' });
    stuck.resolve();
  });

  it('refuses publishers still blocked on a full queue', async () => {
    const broker = createBroker();
    const stuck = deferred();
    broker.subscribe('c', () => stuck.promise, { maxQueue: 1 });
    await broker.publish('c', 0);
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    await broker.publish('c', 1);
    const blocked = broker.publish('c', 2).catch((e: unknown) => e);
    const result = await broker.close({ timeoutMs: 10 });
    expect(await blocked).toMatchObject({ code: 'BROKER_CLOSED' });
    expect(result.refusedPublishers).toBe(1);
    expect(result.undelivered).toHaveLength(1);
    stuck.resolve();
  });

  it('reports retries still waiting at the deadline as undelivered', async () => {
    const broker = createBroker({ onError: () => undefined });
    broker.subscribe(
      'c',
      () => {
        throw new Error('x');
      },
      { retry: { maxAttempts: 5, baseDelayMs: 60_000, jitter: 'none' } },
    );
    await broker.publish('c', 'waiting');
    await waitFor(() => broker.stats().subscriptions[0]!.retried === 1);
    const result = await broker.close({ timeoutMs: 10 });
    expect(result.undelivered.map((x) => x.event.data)).toEqual(['waiting']);
  });
});
