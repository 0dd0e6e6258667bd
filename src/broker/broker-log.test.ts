import { describe, expect, it } from 'vitest';
import { ConcurrencyError, createBroker, UnrecoverableError, type HeraldEvent } from '../index.js';
import { memoryLog } from '../backends/memory/index.js';
import type { EventLog } from '../log/types.js';
import { waitFor } from '../testing/index.js';

async function all(log: EventLog): Promise<HeraldEvent[]> {
  const out: HeraldEvent[] = [];
  for await (const e of log.read({ from: 'start' })) out.push(e);
  return out;
}

describe('the broker on a log', () => {
  it('appends events before delivering them, with their position', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const seen: HeraldEvent[] = [];
    broker.subscribe('order.*', (e) => void seen.push(e));
    const published = await broker.publish('order.created', { id: 1 }, { wait: 'handled' });
    expect(published.position).toBe(1);
    expect(seen[0]?.position).toBe(1);
    const stored = await all(log);
    expect(stored.map((e) => [e.id, e.position, e.type])).toEqual([[published.id, 1, 'order.created']]);
    await broker.close();
  });

  it('keeps ephemeral events in memory only, per publish and per type', async () => {
    const log = memoryLog();
    const broker = createBroker({ log, ephemeral: ['terminal.output.>'] });
    let seen = 0;
    broker.subscribe('>', () => void seen++);
    await broker.publish('terminal.output.s1', 'ls -la', { wait: 'handled' });
    await broker.publish('presence.ping', {}, { ephemeral: true, wait: 'handled' });
    await broker.publish('order.created', {}, { wait: 'handled' });
    expect(seen).toBe(3);
    expect((await all(log)).map((e) => e.type)).toEqual(['order.created']);
    await broker.close();
  });

  it('appends to a stream with optimistic concurrency', async () => {
    const broker = createBroker({ log: memoryLog() });
    const a = await broker.publish(
      'cart.item.added',
      { sku: 'a' },
      { stream: 'cart-1', expectedVersion: 'no_stream' },
    );
    expect([a.stream, a.version]).toEqual(['cart-1', 1]);
    await broker.publish('cart.item.added', { sku: 'b' }, { stream: 'cart-1', expectedVersion: 1 });
    const err: unknown = await broker
      .publish('cart.item.added', { sku: 'c' }, { stream: 'cart-1', expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(err).toMatchObject({ expected: 1, actual: 2 });
    await broker.close();
  });

  it('does not deliver an idempotent re-publish of the same id twice', async () => {
    const broker = createBroker({ log: memoryLog() });
    let seen = 0;
    broker.subscribe('x', () => void seen++);
    const first = await broker.publish('x', 1, { id: 'same', wait: 'handled' });
    const again = await broker.publish('x', 1, { id: 'same', wait: 'handled' });
    expect(again.position).toBe(first.position);
    expect(seen).toBe(1);
    await broker.close();
  });

  it('makes group subscriptions durable consumer groups: a resolving handler acks', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const handled: unknown[] = [];
    broker.subscribe('job.*', (e) => void handled.push(e.data), {
      group: 'workers',
      durable: true,
      startAt: 'start',
    });
    for (let i = 0; i < 5; i++) await broker.publish('job.run', i);
    await waitFor(() => handled.length === 5);
    const group = await log.group('workers');
    await waitFor(async () => (await group.info()).ackedPosition === 5);
    expect(await group.info()).toMatchObject({ pending: 0, lag: 0 });
    await broker.close();
  });

  it('retries through the log and dead-letters there, visible and redrivable through the broker', async () => {
    const log = memoryLog();
    const broker = createBroker({ log, onError: () => undefined });
    let healthy = false;
    const attempts: number[] = [];
    broker.subscribe(
      'pay.*',
      (e, ctx) => {
        attempts.push(ctx.attempt);
        if (!healthy) throw new Error(`gateway down for ${String(e.data)}`);
      },
      {
        group: 'payments',
        durable: true,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        startAt: 'start',
      },
    );
    await broker.publish('pay.capture', 'p-1');
    await waitFor(async () => (await broker.deadLetters.list()).length === 1);
    expect(attempts).toEqual([1, 2]);
    const [dead] = await broker.deadLetters.list({ subscription: 'payments' });
    expect(dead).toMatchObject({
      subscription: 'payments',
      attempts: 2,
      error: { message: 'gateway down for p-1' },
    });
    healthy = true;
    expect(await broker.deadLetters.redrive(dead!.id)).toBe(1);
    await waitFor(() => attempts.length === 3);
    await waitFor(async () => (await (await log.group('payments')).info()).pending === 0);
    expect(await broker.deadLetters.list()).toEqual([]);
    await broker.close();
  });

  it('dead-letters a durable delivery at once on UnrecoverableError', async () => {
    const broker = createBroker({ log: memoryLog(), onError: () => undefined });
    let calls = 0;
    broker.subscribe(
      'u.*',
      () => {
        calls++;
        throw new UnrecoverableError('bad payload');
      },
      { group: 'strict', durable: true, retry: { maxAttempts: 5, baseDelayMs: 1 }, startAt: 'start' },
    );
    await broker.publish('u.x', 1);
    await waitFor(async () => (await broker.deadLetters.list()).length === 1);
    expect(calls).toBe(1);
    expect((await broker.deadLetters.list())[0]).toMatchObject({
      attempts: 1,
      error: { message: 'bad payload' },
    });
    await broker.close();
  });

  it('shares a durable group between members: each event handled once', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const byMember = [0, 0];
    const ids = new Set<string>();
    for (const m of [0, 1]) {
      broker.subscribe(
        'w.*',
        (e) => {
          byMember[m]!++;
          ids.add(e.id);
        },
        { group: 'pool', durable: true, startAt: 'start', concurrency: 2 },
      );
    }
    for (let i = 0; i < 40; i++) await broker.publish('w.x', i);
    await waitFor(() => ids.size === 40);
    await broker.close();
    expect(byMember[0]! + byMember[1]!).toBe(40);
  });

  it('refuses a second pattern on one durable group', () => {
    const broker = createBroker({ log: memoryLog() });
    broker.subscribe('a.*', () => undefined, { group: 'g', durable: true });
    expect(() => broker.subscribe('b.*', () => undefined, { group: 'g', durable: true })).toThrow(
      /durable group "g" is on "a.\*"/,
    );
    void broker.close();
  });

  it('replays history by position range and types', async () => {
    const broker = createBroker({ log: memoryLog() });
    for (let i = 1; i <= 6; i++) await broker.publish(i % 2 ? 'odd.n' : 'even.n', i);
    const seen: unknown[] = [];
    const n = await broker.replay({ from: 2, to: 5, types: ['odd.>'] }, (e) => void seen.push(e.data));
    expect([n, seen]).toEqual([2, [3, 5]]);
    await expect(createBroker().replay({}, () => undefined)).rejects.toMatchObject({
      code: 'CAPABILITY_NOT_SUPPORTED',
    });
  });

  it('refuses durable groups on a log without them, naming the capability', () => {
    const log = memoryLog();
    const limited = new Proxy(log, {
      get: (target, key) => {
        if (key === 'capabilities') return { ...target.capabilities, consumerGroups: false };
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const broker = createBroker({ log: limited });
    expect(() => broker.subscribe('a', () => undefined, { group: 'g', durable: true })).toThrow(
      expect.objectContaining({ code: 'CAPABILITY_NOT_SUPPORTED' }),
    );
  });
});
