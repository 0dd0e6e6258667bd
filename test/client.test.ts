/**
 * `herald/client` against a real hub: typed publish and subscribe, the async iterator, resume
 * across a dropped connection and a hub restart on the same SQLite file (no gap, no duplicate),
 * events lost to retention, errors with the hub's codes, aborts, consumer groups.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { createClient, HeraldError, HubError, type LostRange } from '../src/client/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/wait-for.js';
import { publish, range, startHub, type TestHub } from './helpers/sse-hub.js';

type Shop = {
  'order.created': { id: string; total: number };
  'order.paid': { id: string };
  'stock.low': { sku: string };
};

const fast = { initialMs: 20, maxMs: 200 };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function hub(options: Parameters<typeof startHub>[0]): Promise<TestHub> {
  // A short grace: the hub does not notice a client that aborted its fetch (the hijacked request
  // is never read), so its close waits shutdownGraceMs (10 s by default) for that socket.
  const started = await startHub({ shutdownGraceMs: 300, ...options });
  cleanup.push(async () => {
    await started.app.close();
    await options.log.close();
  });
  return started;
}

function client(base: string, token?: string) {
  const c = createClient<Shop>({ url: base, retry: fast, ...(token !== undefined && { token }) });
  cleanup.push(() => c.close());
  return c;
}

const orders = (n: number, type = 'order.created') =>
  Array.from({ length: n }, (_, i) => ({ type, data: { id: `o-${i}`, total: i } }));

describe('publish and subscribe', () => {
  it('publishes typed events and receives them typed, by pattern, in order', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = client(base);
    const got: { type: string; position: number | undefined }[] = [];
    const sub = c.subscribe('order.*', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'order.created' | 'order.paid'>();
      if (e.type === 'order.created') expectTypeOf(e.data).toEqualTypeOf<{ id: string; total: number }>();
      got.push({ type: e.type, position: e.position });
    });
    await sub.ready;
    const first = await c.publish('order.created', { id: 'o-1', total: 42 }, { subject: 'o-1' });
    expect(first).toMatchObject({ position: 1, duplicate: false, stream: null });
    expect(typeof first.id).toBe('string');
    await c.publish('stock.low', { sku: 's' });
    await c.publish('order.paid', { id: 'o-1' }, { id: 'pay-1', correlationid: 'c-1' });
    // @ts-expect-error: data of the wrong type
    const wrong = (): unknown => c.publish('order.paid', { total: 1 });
    expect(typeof wrong).toBe('function');
    await waitFor(() => got.length === 2);
    expect(got).toEqual([
      { type: 'order.created', position: 1 },
      { type: 'order.paid', position: 3 },
    ]);
    expect(sub.lastEventId).toBe('3');
    const stored = (await (await fetch(`${base}/v1/events/pay-1`)).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({ correlationid: 'c-1', type: 'order.paid' });
    sub.close();
    await sub.closed;
  });

  it('publishes a batch to a stream with optimistic concurrency; a conflict is a HubError with its code', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = client(base);
    const batch = await c.publishBatch(
      [
        { type: 'order.created', data: { id: 'o-1', total: 1 } },
        { type: 'order.paid', data: { id: 'o-1' } },
      ],
      { stream: 'order-1', expectedVersion: 'no_stream' },
    );
    expect(batch.map((p) => [p.position, p.version])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const error = await c
      .publish('order.paid', { id: 'o-1' }, { stream: 'order-1', expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldError);
    expect(error).toMatchObject({ code: 'CONCURRENCY_CONFLICT', status: 409 });
    expect((error as HubError).details).toMatchObject({ stream: 'order-1', expected: 1, actual: 2 });
  });

  it('iterates events from the start, typed, and leaves the loop cleanly', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, [...orders(3), ...orders(2, 'stock.low')]);
    const c = client(base);
    const seen: number[] = [];
    const stream = c.events(['order.>', 'stock.*'], { from: 0 });
    for await (const e of stream) {
      expectTypeOf(e.type).toEqualTypeOf<'order.created' | 'order.paid' | 'stock.low'>();
      seen.push(e.position!);
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(stream.lastEventId).toBe('5');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('starts at a position (inclusive) or resumes after a lastEventId', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, orders(6));
    const c = client(base);
    const take = async (iterator: AsyncIterableIterator<{ position?: number }>, n: number) => {
      const out: number[] = [];
      for await (const e of iterator) if (out.push(e.position!) === n) break;
      return out;
    };
    expect(await take(c.events('order.created', { from: 4 }), 3)).toEqual([4, 5, 6]);
    expect(await take(c.events('order.created', { lastEventId: 4 }), 2)).toEqual([5, 6]);
  });

  it('buffers a bounded number of events and applies backpressure to a slow loop, losing nothing', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, orders(300));
    const c = client(base);
    const seen: number[] = [];
    for await (const e of c.events('order.>', { from: 'start', buffer: 4 })) {
      if (seen.length % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      if (seen.push(e.position!) === 300) break;
    }
    expect(seen).toEqual(range(1, 300));
  });
});

describe('resume', () => {
  it('resumes after dropped connections with Last-Event-ID: no gap, no duplicate', async () => {
    const test = await hub({ log: memoryLog(), live: { retryMs: 20 } });
    // A fetch whose open streams the test can cut, as a network drop would.
    const open = new Set<AbortController>();
    const cutting: typeof fetch = (input, init) => {
      const controller = new AbortController();
      init?.signal?.addEventListener('abort', () => controller.abort(init.signal?.reason));
      open.add(controller);
      return fetch(input, { ...init, signal: controller.signal });
    };
    const c = createClient<Shop>({ url: test.base, fetch: cutting, retry: fast });
    cleanup.push(() => c.close());
    const got: number[] = [];
    const iterated: number[] = [];
    const retries: string[] = [];
    const sub = c.subscribe('order.>', (e) => void got.push(e.position!), {
      onRetry: (r) => retries.push(r.error.code),
    });
    const stream = c.events('order.created', { buffer: 2 });
    await Promise.all([sub.ready, stream.ready]);
    const reading = (async () => {
      for await (const e of stream) if (iterated.push(e.position!) === 15) break;
    })();
    for (let round = 1; round <= 3; round++) {
      await publish(test.base, orders(5));
      await waitFor(() => got.length === 7 * round - 2 && iterated.length === 5 * round);
      for (const controller of open) controller.abort(new Error('network cut'));
      open.clear();
      // Published while the client is away: it comes back for these.
      await publish(test.base, orders(2, 'order.paid'));
      await waitFor(() => got.length === 7 * round, { message: `round ${round}` });
    }
    await reading;
    expect(got).toEqual(range(1, 21));
    expect(iterated).toEqual([1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19]);
    expect(retries.filter((code) => code === 'TRANSPORT_UNAVAILABLE').length).toBeGreaterThanOrEqual(3);
  });

  it('under concurrent publishing and a cut every 25 ms, delivers every event once', async () => {
    const test = await hub({ log: memoryLog(), live: { retryMs: 10, maxBacklog: 25 } });
    const open = new Set<AbortController>();
    const cutting: typeof fetch = (input, init) => {
      const controller = new AbortController();
      init?.signal?.addEventListener('abort', () => controller.abort(init.signal?.reason));
      open.add(controller);
      return fetch(input, { ...init, signal: controller.signal });
    };
    const c = createClient<Shop>({ url: test.base, fetch: cutting, retry: { initialMs: 5, maxMs: 50 } });
    cleanup.push(() => c.close());
    const got: number[] = [];
    const iterated: number[] = [];
    const sub = c.subscribe('order.>', async (e) => {
      if (e.position! % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      got.push(e.position!);
    });
    const stream = c.events('order.>', { buffer: 8 });
    await Promise.all([sub.ready, stream.ready]);
    const total = 600;
    const reading = (async () => {
      for await (const e of stream) if (iterated.push(e.position!) === total) break;
    })();
    const cuts = setInterval(() => {
      for (const controller of open) controller.abort(new Error('network cut'));
      open.clear();
    }, 25);
    try {
      for (let i = 0; i < total / 20; i++) {
        await publish(test.base, orders(20));
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      await waitFor(() => got.length >= total && iterated.length >= total, {
        timeoutMs: 20_000,
        message: `all ${total} events (got ${got.length}, iterated ${iterated.length})`,
      });
    } finally {
      clearInterval(cuts);
    }
    await reading;
    expect(got).toEqual(range(1, total));
    expect(iterated).toEqual(range(1, total));
  });

  it('a loop that stalls is dropped by the hub as slow and resumes without loss (backpressure)', async () => {
    const test = await hub({ log: memoryLog(), live: { retryMs: 10, maxBacklog: 50 } });
    const c = client(test.base);
    const notes: string[] = [];
    const stream = c.events('order.>', { buffer: 4, onNote: (n) => notes.push(n) });
    await stream.ready;
    const big = 'x'.repeat(4_000);
    const total = 2_000;
    for (let i = 0; i < total / 100; i++) {
      await publish(
        test.base,
        Array.from({ length: 100 }, () => ({ type: 'order.paid', data: { id: big } })),
      );
    }
    // The loop has read nothing yet: the client stopped reading, so the hub found it behind.
    const seen: number[] = [];
    for await (const e of stream) if (seen.push(e.position!) === total) break;
    expect(seen).toEqual(range(1, total));
    expect(notes.some((n) => n.includes('behind'))).toBe(true);
  });

  it('resumes across a hub restart on the same port and SQLite file: every event once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-client-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'events.db');
    let log: EventLog = await sqliteLog({ path });
    const first = await startHub({ log, live: { retryMs: 20 }, shutdownGraceMs: 300 });
    const { port, base } = first;
    const c = client(base);
    const got: number[] = [];
    const iterated: number[] = [];
    const notes: string[] = [];
    const sub = c.subscribe('order.>', (e) => void got.push(e.position!), { onNote: (n) => notes.push(n) });
    const stream = c.events('order.>');
    await Promise.all([sub.ready, stream.ready]);
    const reading = (async () => {
      for await (const e of stream) if (iterated.push(e.position!) === 12) break;
    })();
    await publish(base, orders(5));
    await waitFor(() => got.length === 5 && iterated.length === 5);
    await first.app.close();
    await log.close();
    log = await sqliteLog({ path });
    // Appended while no hub serves the client: it must get these too.
    await log.append(orders(3));
    const second = await hub({ log, port, live: { retryMs: 20 } });
    await publish(second.base, orders(4));
    await waitFor(() => got.length === 12 && iterated.length === 12, { message: 'twelve events' });
    await reading;
    expect(got).toEqual(range(1, 12));
    expect(iterated).toEqual(range(1, 12));
    expect(notes.some((n) => n.includes('shutting down'))).toBe(true);
  });

  it('reports positions lost to retention as a typed signal and continues after them', async () => {
    const log = memoryLog({ retention: { maxEvents: 5 } });
    const { base } = await hub({ log });
    await publish(base, orders(10));
    await log.applyRetention();
    const c = client(base);
    const lost: LostRange[] = [];
    const seen: number[] = [];
    for await (const e of c.events('order.>', { lastEventId: '2', onLost: (l) => lost.push(l) })) {
      if (seen.push(e.position!) === 5) break;
    }
    expect(lost).toEqual([{ from: 3, to: 5 }]);
    expect(seen).toEqual(range(6, 10));
  });
});

describe('errors and aborts', () => {
  it('surfaces the hub errors as HubError with their codes, status and details', async () => {
    const { base } = await hub({
      log: memoryLog(),
      auth: { keys: [{ name: 'shop', key: 'shop-key-123', publish: ['order.*'], subscribe: ['order.>'] }] },
    });
    const anonymous = client(base);
    const refused = await anonymous.publish('order.paid', { id: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HubError);
    expect(refused).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });

    const shop = client(base, 'shop-key-123');
    expect((await shop.publish('order.paid', { id: 'x' })).position).toBe(1);
    const forbidden = await shop.publish('stock.low', { sku: 'a' }).catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(typeof (forbidden as HubError).requestId).toBe('string');

    // A stream that retrying cannot fix ends: `ready` and `closed` reject, onError hears it.
    const errors: unknown[] = [];
    const sub = shop.subscribe('stock.>', () => undefined, { onError: (e) => errors.push(e) });
    await expect(sub.ready).rejects.toMatchObject({ code: 'FORBIDDEN', details: { pattern: 'stock.>' } });
    await expect(sub.closed).rejects.toBeInstanceOf(HubError);
    expect(errors).toHaveLength(1);
    const bad = shop.events('order..x');
    await expect(bad.next()).rejects.toMatchObject({ code: 'INVALID_PATTERN', status: 400 });
    const noToken = anonymous.events('order.>');
    await expect(noToken.next()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // A token function is asked per request (a fresh JWT each connection).
    let asked = 0;
    const lazy = createClient<Shop>({ url: base, token: () => (asked++, 'shop-key-123') });
    await lazy.publish('order.paid', { id: 'y' });
    expect(asked).toBe(1);
  });

  it('a stream that ends at the JWT exp comes back with a fresh token from the token function', async () => {
    const secret = 'an HS256 secret of enough length for the client test';
    const { base } = await hub({ log: memoryLog(), auth: { jwt: { secret } } });
    let minted = 0;
    // Tokens of one to two seconds: the hub ends the stream at exp, the client asks for another.
    const token = async () => {
      minted++;
      return new SignJWT({ publish: ['order.*'], subscribe: ['order.>'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('svc')
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
        .sign(new TextEncoder().encode(secret));
    };
    const c = createClient<Shop>({ url: base, token, retry: fast });
    cleanup.push(() => c.close());
    const got: number[] = [];
    const notes: string[] = [];
    const sub = c.subscribe('order.>', (e) => void got.push(e.position!), { onNote: (n) => notes.push(n) });
    await sub.ready;
    await c.publish('order.paid', { id: 'a' });
    await waitFor(() => notes.some((n) => n.includes('credentials expired')), { timeoutMs: 6_000 });
    await c.publish('order.paid', { id: 'b' });
    await waitFor(() => got.length === 2, { message: 'the event after the expiry' });
    expect(got).toEqual([1, 2]);
    expect(minted).toBeGreaterThanOrEqual(3);
  });

  it('a hub that cannot be reached is TRANSPORT_UNAVAILABLE; streams retry it with backoff', async () => {
    const { base, app } = await startHub({ log: memoryLog() });
    await app.close();
    const c = createClient<Shop>({ url: base, retry: { initialMs: 5, maxMs: 20, maxAttempts: 3 } });
    await expect(c.publish('order.paid', { id: 'x' })).rejects.toMatchObject({
      code: 'TRANSPORT_UNAVAILABLE',
      status: 0,
    });
    const retries: number[] = [];
    const stream = c.events('order.>', { onRetry: (r) => retries.push(r.attempt) });
    await expect(stream.next()).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
    expect(retries).toEqual([1, 2, 3]);
  });

  it('aborts everything: a publish, an iterator mid-stream, a subscription, the whole client', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = client(base);
    const controller = new AbortController();
    controller.abort();
    await expect(c.publish('order.paid', { id: 'x' }, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });

    await publish(base, orders(3));
    const stop = new AbortController();
    const seen: number[] = [];
    for await (const e of c.events('order.>', { from: 'start', signal: stop.signal })) {
      seen.push(e.position!);
      if (seen.length === 2) stop.abort();
    }
    expect(seen).toEqual([1, 2]);

    const sub = c.subscribe('order.>', () => undefined);
    await sub.ready;
    const waiting = c.events('order.>');
    await waiting.ready;
    const pending = waiting.next();
    c.close();
    await expect(sub.closed).resolves.toBeUndefined();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });

  it('reports a handler that throws to onError and goes on', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = client(base);
    const errors: unknown[] = [];
    const got: number[] = [];
    const sub = c.subscribe(
      'order.>',
      (e) => {
        if (e.position === 2) throw new Error('boom');
        got.push(e.position!);
      },
      { from: 'start', onError: (error) => errors.push(error) },
    );
    await publish(base, orders(3));
    await waitFor(() => got.length === 2);
    expect(got).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
    sub.close();
  });
});

describe('consumer groups', () => {
  it('consumes a group with pull, ack and nack over HTTP', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, [...orders(4), ...orders(1, 'stock.low')]);
    const c = client(base);
    const g = c.group('billing');
    const handled: number[] = [];
    let nacked = false;
    for await (const d of g.consume('order.created', { max: 3, waitMs: 200, startAt: 'start' })) {
      expectTypeOf(d.event.data).toEqualTypeOf<{ id: string; total: number }>();
      if (d.event.position === 2 && !nacked) {
        nacked = true;
        expect(await d.nack({ delayMs: 0 })).toBe('nacked');
        continue;
      }
      expect(await d.ack()).toBe('acked');
      handled.push(d.event.position!);
      if (handled.length === 4) break;
    }
    expect(handled.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect(await g.ack(['not-a-receipt'])).toEqual(['unknown']);
    const more = await g.pull(undefined, { max: 10, waitMs: 0 });
    expect(more).toEqual([]);
  });

  it('a member keeps consuming across a hub restart: every event acked, each acked exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-client-group-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'events.db');
    let log: EventLog = await sqliteLog({ path });
    const first = await startHub({ log, shutdownGraceMs: 300 });
    await publish(first.base, orders(20));
    const c = client(first.base);
    const acked: number[] = [];
    const retries: string[] = [];
    let restarted = false;
    let restarting: Promise<void> | undefined;
    const options = { max: 5, waitMs: 200, startAt: 'start' as const, ackWaitMs: 400 };
    for await (const d of c
      .group('mailer')
      .consume('order.created', { ...options, onRetry: (r) => retries.push(r.error.code) })) {
      if (acked.length === 8 && !restarted) {
        restarted = true;
        await first.app.close();
        await log.close();
        // Back in a moment: meanwhile acks and pulls fail and the member retries.
        restarting = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 150));
          log = await sqliteLog({ path });
          await hub({ log, port: first.port });
        })();
      }
      // Receipts die with the hub that issued them: such an ack is refused, the event comes back.
      const status = await d.ack().catch((error: unknown) => (error as HubError).code);
      if (status === 'acked') acked.push(d.event.position!);
      if (new Set(acked).size === 20) break;
    }
    await restarting;
    // An ack that got 'acked' is durable: no event is acked twice, none is missing.
    expect([...acked].sort((a, b) => a - b)).toEqual(range(1, 20));
    expect(retries).toContain('TRANSPORT_UNAVAILABLE');
  });
});
