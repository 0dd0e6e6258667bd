/**
 * `GET /v1/stats` against real hubs on a memory log: events published over HTTP and received
 * over SSE show in the rates, the live client counts and the groups; with auth on, a caller sees
 * the totals of every type but names only the types (and groups) it may read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../src/backends/memory/index.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';
import { openSse } from './helpers/sse-stream.js';
import { bearer, call, type Body } from './security/helpers/http.js';

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('GET /v1/stats on a hub without auth', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ log: memoryLog() });
  });
  afterAll(async () => {
    await hub.app.close();
    await hub.log.close();
  });

  const stats = async (query = ''): Promise<Body> => {
    const reply = await call(`${hub.base}/v1/stats${query}`);
    expect(reply.status).toBe(200);
    return reply.body;
  };

  it('counts events published over HTTP and delivered over SSE, and the SSE client', async () => {
    const empty = await stats();
    expect(empty.backend).toMatchObject({
      name: 'memory',
      survivesReopen: false,
      survivesServerRestart: false,
    });
    expect(empty.head).toBe(0);
    expect(empty.live).toEqual({ sse: 0, ws: 0 });
    expect(empty.rates.published).toHaveLength(300);
    expect(sum(empty.rates.published)).toBe(0);
    expect(empty.groups).toEqual([]);

    const stream = await openSse(`${hub.base}/v1/sse`);
    await until(async () => (await stats()).live.sse === 1, 'the SSE client to count');
    const res = await fetch(`${hub.base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { type: 'orders.created', data: { n: 1 } },
        { type: 'orders.created', data: { n: 2 } },
        { type: 'payments.settled', data: { n: 3 } },
      ]),
    });
    expect(res.status).toBe(201);
    await until(async () => stream.events.length === 3, 'the SSE events');
    // Deliveries are reported to the counters within a second (the live feed's report timer).
    await until(async () => sum((await stats()).rates.delivered) === 3, 'the deliveries to count');
    const body = await stats('?since=60');
    expect(body.head).toBe(3);
    expect(body.rates.published).toHaveLength(60);
    // The current second is the last element (the reply may have been computed a second ago).
    expect(Math.floor(Date.now() / 1000) - 59 - body.rates.start).toBeLessThanOrEqual(1);
    expect(sum(body.rates.published)).toBe(3);
    expect(body.rates.byType).toEqual({
      'orders.created': { published: 2, delivered: 2 },
      'payments.settled': { published: 1, delivered: 1 },
    });
    expect(body.live).toEqual({ sse: 1, ws: 0 });
    expect(body.uptimeMs).toBeGreaterThan(0);
    expect((await stats('?types=payments.>')).rates.byType).toEqual({
      'payments.settled': { published: 1, delivered: 1 },
    });
    stream.close();
    await until(async () => (await stats()).live.sse === 0, 'the SSE client to go');
  });

  it('counts an event published over a WebSocket', async () => {
    const before = sum((await stats()).rates.published);
    const ws = new WebSocket(`${hub.base.replace('http', 'ws')}/v1/ws`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const ack = new Promise<Body>((resolve) =>
      ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))),
    );
    ws.send(JSON.stringify({ type: 'publish', ref: 1, event: { type: 'orders.ws', data: {} } }));
    expect((await ack).type).toBe('ack');
    const body = await stats();
    expect(body.live.ws).toBe(1);
    expect(sum(body.rates.published)).toBe(before + 1);
    expect(body.rates.byType['orders.ws']).toEqual({ published: 1, delivered: 0 });
    ws.close();
    await until(async () => (await stats()).live.ws === 0, 'the socket to go');
  });

  it('does not count a re-sent id twice', async () => {
    const before = sum((await stats()).rates.published);
    const event = { specversion: '1.0', id: 'stats-dup-1', source: '/t', type: 'orders.created' };
    for (let i = 0; i < 2; i++) {
      await fetch(`${hub.base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(event),
      });
    }
    expect(sum((await stats()).rates.published)).toBe(before + 1);
  });

  it('refuses a window outside 1..3600 and a malformed pattern with 400', async () => {
    for (const query of ['?since=0', '?since=3601', '?since=abc']) {
      const reply = await call(`${hub.base}/v1/stats${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.error.code).toBe('INVALID_QUERY');
    }
    const reply = await call(`${hub.base}/v1/stats?types=orders.>.x`);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('INVALID_PATTERN');
    expect((await stats('?since=3600')).rates.published).toHaveLength(3600);
  });
});

describe('GET /v1/stats with auth on', () => {
  let hub: TestHub;
  const KEYS = [
    { name: 'admin', key: 'admin-key-123', admin: true },
    { name: 'orders', key: 'orders-key-12', subscribe: ['orders.>'] },
    { name: 'none', key: 'none-key-1234' },
  ];
  beforeAll(async () => {
    const log = memoryLog();
    hub = await startHub({ log, auth: { keys: KEYS } });
    for (const type of ['orders.created', 'orders.created', 'payments.settled']) {
      const res = await fetch(`${hub.base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer('admin-key-123') },
        body: JSON.stringify({ type, data: {} }),
      });
      expect(res.status).toBe(201);
    }
    await log.group('orders-mailer', { types: ['orders.>'], startAt: 'start' });
    await log.group('payments-ledger', { types: ['payments.*'], startAt: 'start' });
    await log.group('audit', { startAt: 'start' }); // every type
  });
  afterAll(async () => {
    await hub.app.close();
    await hub.log.close();
  });

  const stats = async (key: string | undefined, query = ''): Promise<Body> => {
    const reply = await call(`${hub.base}/v1/stats${query}`, { headers: bearer(key) });
    expect(reply.status).toBe(200);
    return reply.body;
  };

  it('names only the types and groups a key limited to orders.> may read, and counts every type', async () => {
    const body = await stats('orders-key-12');
    expect(sum(body.rates.published)).toBe(3);
    expect(body.rates.byType).toEqual({ 'orders.created': { published: 2, delivered: 0 } });
    expect(JSON.stringify(body)).not.toContain('payments');
    expect(body.groups).toEqual([{ name: 'orders-mailer', lag: 2, pending: 0, deadLetters: 0 }]);
  });

  it('shows an admin every type and every group, by lag', async () => {
    const body = await stats('admin-key-123');
    expect(body.rates.byType).toEqual({
      'orders.created': { published: 2, delivered: 0 },
      'payments.settled': { published: 1, delivered: 0 },
    });
    expect(body.groups.map((g: { name: string; lag: number }) => [g.name, g.lag])).toEqual([
      ['audit', 3],
      ['orders-mailer', 2],
      ['payments-ledger', 1],
    ]);
  });

  it('answers a key that may read nothing with the totals and no names', async () => {
    const body = await stats('none-key-1234');
    expect(sum(body.rates.published)).toBe(3);
    expect(body.rates.byType).toEqual({});
    expect(body.groups).toEqual([]);
    expect(body.head).toBe(3);
  });

  it('refuses a types filter outside the grants with 403, and no token with 401', async () => {
    const reply = await call(`${hub.base}/v1/stats?types=payments.>`, { headers: bearer('orders-key-12') });
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('FORBIDDEN');
    expect((await call(`${hub.base}/v1/stats`)).status).toBe(401);
  });
});
