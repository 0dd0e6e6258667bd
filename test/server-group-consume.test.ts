import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { openApiDocument } from '../src/server/openapi.js';
import { waitFor } from '../src/testing/index.js';
import { pull, pullRaw, settle, settleRaw, type HttpDelivery } from './helpers/group-client.js';
import { metricValue, publish, startHub, type TestHub } from './helpers/sse-hub.js';

// Consumer groups over HTTP against real listening hubs, driven with fetch. Two hubs share one
// memory log to stand for two hub processes on a shared backend: one group member per hub.
const hubs: TestHub[] = [];
let log: EventLog;
let one: TestHub;
let two: TestHub;

beforeAll(async () => {
  log = memoryLog();
  one = await startHub({ log });
  two = await startHub({ log });
  hubs.push(one, two);
});
afterAll(async () => {
  for (const hub of hubs) await hub.app.close();
  await log.close();
});

const positions = (deliveries: HttpDelivery[]) => deliveries.map((d) => d.event.position);
const receipts = (deliveries: HttpDelivery[]) => deliveries.map((d) => d.receipt);

describe('POST /v1/groups/{name}/pull', () => {
  it('creates the group, delivers events in position order with receipts, in the GET /v1/events form', async () => {
    const published = await publish(one.base, [
      { type: 'pull.a', data: { n: 1 } },
      { type: 'pull.b', data: { n: 2 } },
      { type: 'other.c', data: { n: 3 } },
    ]);
    const deliveries = await pull(one.base, 'pull-basic', {
      types: ['pull.>'],
      startAt: published[0],
      max: 10,
    });
    expect(positions(deliveries)).toEqual(published.slice(0, 2));
    expect(deliveries.every((d) => d.deliveryCount === 1)).toBe(true);
    expect(new Set(receipts(deliveries)).size).toBe(2);
    const listed = await fetch(`${one.base}/v1/events?after=${published[0]! - 1}&limit=1`);
    const [first] = ((await listed.json()) as { events: unknown[] }).events;
    expect(deliveries[0]!.event).toEqual(first);
    expect(await log.groups()).toContain('pull-basic');
    expect((await log.group('pull-basic')).options.types).toEqual(['pull.>']);

    const results = await settle(one.base, 'pull-basic', 'ack', receipts(deliveries));
    expect(results).toEqual(deliveries.map((d) => ({ receipt: d.receipt, status: 'acked' })));
    expect((await (await log.group('pull-basic')).info()).pending).toBe(0);
    // Settled receipts are forgotten: a second ack reports them unknown, and nothing else fails.
    const again = await settle(one.base, 'pull-basic', 'ack', [deliveries[0]!.receipt, 'no-such-receipt']);
    expect(again.map((r) => r.status)).toEqual(['unknown', 'unknown']);
    expect(await pull(one.base, 'pull-basic')).toEqual([]);
    expect(
      await metricValue(one.metrics, 'herald_group_http_deliveries_total', { group: 'pull-basic' }),
    ).toBe(2);
    expect(
      await metricValue(one.metrics, 'herald_group_http_settled_total', {
        group: 'pull-basic',
        status: 'acked',
      }),
    ).toBe(2);
  });

  it('long-polls up to waitMs and answers as soon as an event arrives', async () => {
    await pull(one.base, 'pull-wait', { types: ['wait.>'], startAt: 'end' });
    const t0 = Date.now();
    expect(await pull(one.base, 'pull-wait', { waitMs: 300 })).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const waiting = pull(one.base, 'pull-wait', { waitMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [position] = await publish(two.base, [{ type: 'wait.now' }]);
    const t1 = Date.now();
    const deliveries = await waiting;
    expect(positions(deliveries)).toEqual([position]);
    expect(Date.now() - t1).toBeLessThan(2_000);
    await settle(one.base, 'pull-wait', 'ack', receipts(deliveries));
  });

  it('ends a long poll when its client disconnects, taking nothing', async () => {
    await pull(one.base, 'pull-gone', { types: ['gone.>'], startAt: 'end' });
    const abort = new AbortController();
    const waiting = pull(one.base, 'pull-gone', { waitMs: 20_000 }, { signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 150));
    abort.abort();
    await expect(waiting).rejects.toThrow();
    // The hub saw the disconnect and stopped pulling: the next event goes to the next pull, first time.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [position] = await publish(one.base, [{ type: 'gone.one' }]);
    const deliveries = await pull(one.base, 'pull-gone', { waitMs: 2_000 });
    expect(deliveries.map((d) => [d.event.position, d.deliveryCount])).toEqual([[position, 1]]);
    await settle(one.base, 'pull-gone', 'ack', receipts(deliveries));
  });

  it('ends a long poll at once when the hub shuts down', async () => {
    const hub = await startHub({ log, shutdownGraceMs: 20_000 });
    await pull(hub.base, 'pull-shutdown', { types: ['shutdown.>'], startAt: 'end' });
    const waiting = pullRaw(hub.base, 'pull-shutdown', { waitMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const t0 = Date.now();
    await hub.app.close();
    const reply = await waiting;
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ deliveries: [] });
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

describe('POST /v1/groups/{name}/nack', () => {
  it('redelivers after the delay, with the delivery count raised', async () => {
    const [position] = await publish(one.base, [{ type: 'nack.retry', data: {} }]);
    const [first] = await pull(one.base, 'nack-retry', { types: ['nack.>'], startAt: position });
    expect(first!.deliveryCount).toBe(1);
    const results = await settle(one.base, 'nack-retry', 'nack', [first!.receipt], {
      delayMs: 200,
      error: 'try later',
    });
    expect(results).toEqual([{ receipt: first!.receipt, status: 'nacked' }]);
    expect(await pull(one.base, 'nack-retry')).toEqual([]);
    const [again] = await pull(one.base, 'nack-retry', { waitMs: 5_000 });
    expect(again!.event.position).toBe(position);
    expect(again!.deliveryCount).toBe(2);
    expect(again!.receipt).not.toBe(first!.receipt);
    await settle(one.base, 'nack-retry', 'ack', [again!.receipt]);
  });

  it('dead-letters after maxDeliveries, and at once with deadLetter: true', async () => {
    const [a, b] = await publish(one.base, [{ type: 'dead.a' }, { type: 'dead.b' }]);
    const options = { types: ['dead.>'], startAt: a, maxDeliveries: 2, max: 1 };
    const first = await pull(one.base, 'nack-dead', options);
    expect(positions(first)).toEqual([a]);
    await settle(one.base, 'nack-dead', 'nack', receipts(first), { delayMs: 0, error: 'boom 1' });
    const second = await pull(one.base, 'nack-dead', { ...options, waitMs: 2_000 });
    expect(second.map((d) => [d.event.position, d.deliveryCount])).toEqual([[a, 2]]);
    await settle(one.base, 'nack-dead', 'nack', receipts(second), { delayMs: 0, error: 'boom 2' });
    const third = await pull(one.base, 'nack-dead', { ...options, waitMs: 2_000 });
    expect(positions(third)).toEqual([b]);
    await settle(one.base, 'nack-dead', 'nack', receipts(third), { deadLetter: true, error: 'fatal' });
    expect(await pull(one.base, 'nack-dead', { waitMs: 200 })).toEqual([]);
    const res = await fetch(`${one.base}/v1/groups/nack-dead/dead-letters`);
    const dead = (await res.json()) as { deadLetters: { event: { position: number }; error: string }[] };
    expect(dead.deadLetters.map((d) => [d.event.position, d.error])).toEqual([
      [a, 'boom 2'],
      [b, 'fatal'],
    ]);
  });
});

describe('receipts', () => {
  it('share a group between two hubs: one member each, every event handled once', async () => {
    const published = await publish(
      one.base,
      Array.from({ length: 60 }, (_, i) => ({ type: 'share.x', data: { i } })),
    );
    const handled: number[][] = [[], []];
    const member = async (hub: TestHub, index: number) => {
      for (;;) {
        const options = { types: ['share.>'], startAt: published[0], max: 7, waitMs: 200 };
        const deliveries = await pull(hub.base, 'shared', options);
        if (deliveries.length === 0) return;
        handled[index]!.push(...positions(deliveries));
        const results = await settle(hub.base, 'shared', 'ack', receipts(deliveries));
        expect(results.every((r) => r.status === 'acked')).toBe(true);
      }
    };
    await Promise.all([member(one, 0), member(two, 1)]);
    const all = [...handled[0]!, ...handled[1]!].sort((x, y) => x - y);
    expect(all).toEqual(published);
    expect(handled[0]!.length).toBeGreaterThan(0);
    expect(handled[1]!.length).toBeGreaterThan(0);
  });

  it('work only on the hub that issued them and for their own group', async () => {
    const [position] = await publish(one.base, [{ type: 'where.x' }]);
    const [delivery] = await pull(one.base, 'where', { types: ['where.>'], startAt: position });
    expect((await settle(two.base, 'where', 'ack', [delivery!.receipt]))[0]!.status).toBe('unknown');
    expect((await settle(one.base, 'elsewhere', 'ack', [delivery!.receipt]))[0]!.status).toBe('unknown');
    // A receipt repeated in one request is settled once.
    const results = await settle(one.base, 'where', 'ack', [delivery!.receipt, delivery!.receipt]);
    expect(results.map((r) => r.status)).toEqual(['acked', 'unknown']);
  });

  it('expire with the ack wait: the event comes back, the old receipt is reported expired', async () => {
    const [position] = await publish(one.base, [{ type: 'expire.x' }]);
    const [first] = await pull(one.base, 'expiring', {
      types: ['expire.>'],
      startAt: position,
      ackWaitMs: 300,
    });
    const [again] = await pull(two.base, 'expiring', { waitMs: 5_000 });
    expect(again!.event.position).toBe(position);
    expect(again!.deliveryCount).toBe(2);
    expect((await settle(one.base, 'expiring', 'ack', [first!.receipt]))[0]!.status).toBe('expired');
    expect((await settle(two.base, 'expiring', 'ack', [again!.receipt]))[0]!.status).toBe('acked');
  });

  it('report a receipt expired also after the hub swept it out, and unknown once settled', async () => {
    const [position] = await publish(one.base, [{ type: 'swept.x' }]);
    const [first] = await pull(one.base, 'swept', { types: ['swept.>'], startAt: position, ackWaitMs: 200 });
    // The hub sweeps expired receipts every second: settle well after one sweep.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await settle(one.base, 'swept', 'ack', [first!.receipt]))[0]!.status).toBe('expired');
    expect((await settle(one.base, 'swept', 'ack', [first!.receipt]))[0]!.status).toBe('unknown');
  });

  it('are bounded: past groups.maxReceipts the oldest are forgotten, and their events come back', async () => {
    const small = await startHub({ log, groups: { maxReceipts: 2 } });
    hubs.push(small);
    const published = await publish(small.base, [
      { type: 'bound.a' },
      { type: 'bound.b' },
      { type: 'bound.c' },
    ]);
    const deliveries = await pull(small.base, 'bounded', {
      types: ['bound.>'],
      startAt: published[0],
      max: 3,
      ackWaitMs: 300,
    });
    expect(positions(deliveries)).toEqual(published);
    expect(await metricValue(small.metrics, 'herald_group_receipts_evicted_total', {})).toBe(1);
    expect(await metricValue(small.metrics, 'herald_group_receipts', {})).toBe(2);
    const results = await settle(small.base, 'bounded', 'ack', receipts(deliveries));
    expect(results.map((r) => r.status)).toEqual(['unknown', 'acked', 'acked']);
    const [back] = await pull(small.base, 'bounded', { waitMs: 5_000 });
    expect([back!.event.position, back!.deliveryCount]).toEqual([published[0], 2]);
    await settle(small.base, 'bounded', 'ack', [back!.receipt]);
  });
});

describe('auth', () => {
  let base: string;
  const token = (key: string) => ({ token: key });
  beforeAll(async () => {
    const hub = await startHub({
      log,
      auth: {
        keys: [
          { name: 'shop', key: 'shop-key-123', publish: ['orders.>'], subscribe: ['orders.>'] },
          { name: 'ops', key: 'ops-key-1234', admin: true },
          { name: 'mute', key: 'mute-key-123' },
        ],
      },
    });
    hubs.push(hub);
    base = hub.base;
  });

  it('needs a token', async () => {
    const reply = await pullRaw(base, 'auth-any', {});
    expect(reply.status).toBe(401);
    expect((await settleRaw(base, 'auth-any', 'ack', { receipts: ['x'] })).status).toBe(401);
  });

  it('refuses types outside the subscribe grants, and a group whose types are', async () => {
    const refused = await pullRaw(base, 'auth-pay', { types: ['payments.>'] }, token('shop-key-123'));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'FORBIDDEN', details: { pattern: 'payments.>' } } });
    expect(await log.groups()).not.toContain('auth-pay');
    await pull(base, 'auth-all', { types: ['>'] }, token('ops-key-1234'));
    const joined = await pullRaw(base, 'auth-all', { ackWaitMs: 1_000 }, token('shop-key-123'));
    expect(joined.status).toBe(403);
    expect((await log.group('auth-all')).options.ackWaitMs).toBe(30_000);
    const mute = await pullRaw(base, 'auth-mute', {}, token('mute-key-123'));
    expect(mute.status).toBe(403);
  });

  it("gives a new group without types the caller's grants, and lets only the puller settle", async () => {
    const [position] = await publish(one.base, [{ type: 'orders.placed' }, { type: 'payments.taken' }]);
    const deliveries = await pull(base, 'auth-shop', { startAt: position, max: 5 }, token('shop-key-123'));
    expect((await log.group('auth-shop')).options.types).toEqual(['orders.>']);
    expect(deliveries.map((d) => d.event.type)).toEqual(['orders.placed']);
    const byOps = await settle(base, 'auth-shop', 'ack', receipts(deliveries), token('ops-key-1234'));
    expect(byOps[0]!.status).toBe('unknown');
    const byShop = await settle(base, 'auth-shop', 'ack', receipts(deliveries), token('shop-key-123'));
    expect(byShop[0]!.status).toBe('acked');
  });
});

describe('bad input', () => {
  const cases: [string, string, unknown, number, string, string?][] = [
    ['max 0', 'pull', { max: 0 }, 400, 'INVALID_QUERY', 'max'],
    ['max over 1000', 'pull', { max: 1001 }, 400, 'INVALID_QUERY', 'max'],
    ['waitMs over 30 s', 'pull', { waitMs: 30_001 }, 400, 'INVALID_QUERY', 'waitMs'],
    ['a fractional ackWaitMs', 'pull', { ackWaitMs: 1.5 }, 400, 'INVALID_QUERY', 'ackWaitMs'],
    ['maxDeliveries 0', 'pull', { maxDeliveries: 0 }, 400, 'INVALID_QUERY', 'maxDeliveries'],
    ['startAt yesterday', 'pull', { startAt: 'yesterday' }, 400, 'INVALID_QUERY', 'startAt'],
    ['types not a list', 'pull', { types: 'orders.>' }, 400, 'INVALID_QUERY', 'types'],
    ['a bad pattern', 'pull', { types: ['a..b'] }, 400, 'INVALID_PATTERN'],
    ['an unknown field', 'pull', { wait: 5 }, 400, 'INVALID_QUERY', 'wait'],
    ['not JSON', 'pull', '{"max":', 400, 'INVALID_QUERY', 'body'],
    ['an array body', 'pull', '[1]', 400, 'INVALID_QUERY', 'body'],
    ['no receipts', 'ack', {}, 400, 'INVALID_QUERY', 'receipts'],
    ['empty receipts', 'ack', { receipts: [] }, 400, 'INVALID_QUERY', 'receipts'],
    ['a number as receipt', 'ack', { receipts: [1] }, 400, 'INVALID_QUERY', 'receipts'],
    ['a nack option on ack', 'ack', { receipts: ['x'], delayMs: 5 }, 400, 'INVALID_QUERY', 'delayMs'],
    ['a negative delay', 'nack', { receipts: ['x'], delayMs: -1 }, 400, 'INVALID_QUERY', 'delayMs'],
    ['deadLetter "yes"', 'nack', { receipts: ['x'], deadLetter: 'yes' }, 400, 'INVALID_QUERY', 'deadLetter'],
    ['an error object', 'nack', { receipts: ['x'], error: { m: 1 } }, 400, 'INVALID_QUERY', 'error'],
  ];
  it.each(cases)('refuses %s', async (_name, verb, body, status, code, parameter) => {
    const reply =
      verb === 'pull'
        ? await pullRaw(one.base, 'bad-input', body)
        : await settleRaw(one.base, 'bad-input', verb as 'ack' | 'nack', body);
    expect(reply.status).toBe(status);
    const error = reply.body.error as { code: string; message: string; details: Record<string, unknown> };
    expect(error.code).toBe(code);
    expect(error.message).toEqual(expect.any(String));
    if (parameter !== undefined) expect(error.details.parameter).toBe(parameter);
    expect(await log.groups()).not.toContain('bad-input');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await fetch(`${one.base}/v1/groups/bad-input/pull`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'max=1',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('the OpenAPI document', () => {
  it('describes the three routes', () => {
    const paths = openApiDocument().paths;
    for (const verb of ['pull', 'ack', 'nack'])
      expect(paths[`/v1/groups/{name}/${verb}`]?.post).toBeDefined();
  });
});

describe('metrics', () => {
  it('count receipts held at scrape time', async () => {
    const [position] = await publish(one.base, [{ type: 'held.x' }]);
    const before = await metricValue(one.metrics, 'herald_group_receipts', {});
    const deliveries = await pull(one.base, 'held', { types: ['held.>'], startAt: position });
    await waitFor(async () => (await metricValue(one.metrics, 'herald_group_receipts', {})) === before + 1);
    await settle(one.base, 'held', 'ack', receipts(deliveries));
    expect(await metricValue(one.metrics, 'herald_group_receipts', {})).toBe(before);
  });
});
