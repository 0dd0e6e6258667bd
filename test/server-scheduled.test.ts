import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';

// A real listening hub with API keys, driven with fetch and a WebSocket.
let hub: TestHub;
let base: string;
let log: EventLog;

const keys = {
  shop: { authorization: 'Bearer shop-key-123' },
  ops: { authorization: 'Bearer ops-key-1234' },
};

beforeAll(async () => {
  log = memoryLog();
  hub = await startHub({
    log,
    auth: {
      keys: [
        {
          name: 'shop',
          key: 'shop-key-123',
          publish: ['orders.>'],
          subscribe: ['orders.>'],
          streams: ['order-*'],
        },
        { name: 'ops', key: 'ops-key-1234', admin: true },
      ],
    },
  });
  base = hub.base;
});
afterAll(async () => {
  await hub.app.close();
  await log.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = any;

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  const body: Body = text ? JSON.parse(text) : {};
  return { status: res.status, body };
}

function post(body: unknown, headers: Record<string, string>, who = keys.shop) {
  return call('/v1/events', {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { ...who, ...headers },
  });
}

async function stored(id: string): Promise<StoredEvent> {
  const found = await waitFor(() => log.get(id), { message: `${id} never entered the log` });
  return found!;
}

describe('scheduled delivery over HTTP', () => {
  it('schedules in every ingest mode: 202, not in the log until due, then in it', async () => {
    const soon = () => new Date(Date.now() + 500).toISOString();
    const json = await post(
      { id: 'sch-json', type: 'orders.remind', data: {} },
      { 'content-type': 'application/json', 'herald-delay-ms': '1500' },
    );
    // Not in the log before it is due (checked at once: the others may be due by the end).
    expect(await log.get('sch-json')).toBeUndefined();
    const structured = await post(
      { specversion: '1.0', id: 'sch-structured', source: '/t', type: 'orders.remind', deliverat: soon() },
      { 'content-type': 'application/cloudevents+json' },
    );
    const batch = await post(
      [
        { specversion: '1.0', id: 'sch-batch-1', source: '/t', type: 'orders.remind' },
        { specversion: '1.0', id: 'sch-batch-2', source: '/t', type: 'orders.remind' },
      ],
      { 'content-type': 'application/cloudevents-batch+json', 'herald-deliver-at': soon() },
    );
    const binary = await post('{"n":1}', {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'sch-binary',
      'ce-source': '/t',
      'ce-type': 'orders.remind',
      'ce-deliverat': soon(),
    });
    for (const answer of [json, structured, batch, binary]) {
      expect(answer.status).toBe(202);
      for (const s of answer.body.scheduled)
        expect(s).toMatchObject({ duplicate: false, deliverAt: expect.any(String) });
    }
    for (const id of ['sch-json', 'sch-structured', 'sch-batch-1', 'sch-batch-2', 'sch-binary']) {
      const e = await stored(id);
      expect(Date.parse(e.recordedat)).toBeGreaterThanOrEqual(Date.parse(e.deliverat!));
    }
    // The same id again while pending is a duplicate; after it was moved the log says so.
    const again = await post(
      { id: 'sch-json', type: 'orders.remind', data: {} },
      { 'content-type': 'application/json' },
    );
    expect(again.status).toBe(200);
    expect(again.body.events[0]).toMatchObject({ id: 'sch-json', duplicate: true });
  });

  it('lists only what the caller may read, page by page; cancel needs admin', async () => {
    const far = new Date(Date.now() + 3_600_000).toISOString();
    await post(
      { id: 'list-1', type: 'orders.later', data: {}, deliverat: far },
      { 'content-type': 'application/json' },
    );
    await post(
      { id: 'list-2', type: 'orders.later', data: {}, deliverat: far },
      { 'content-type': 'application/json' },
    );
    await post(
      { id: 'list-hidden', type: 'billing.later', data: {} },
      { 'content-type': 'application/json', 'herald-deliver-at': far },
      keys.ops,
    );
    const all = await call('/v1/scheduled?limit=10', { headers: keys.ops });
    expect(all.body.scheduled.map((s: { event: { id: string } }) => s.event.id)).toEqual([
      'list-1',
      'list-2',
      'list-hidden',
    ]);
    const mine = await call('/v1/scheduled', { headers: keys.shop });
    expect(mine.body.scheduled.map((s: { event: { id: string } }) => s.event.id)).toEqual([
      'list-1',
      'list-2',
    ]);
    const page1 = await call('/v1/scheduled?limit=1', { headers: keys.ops });
    const page2 = await call(`/v1/scheduled?limit=2&after=${encodeURIComponent(page1.body.next)}`, {
      headers: keys.ops,
    });
    expect(
      [...page1.body.scheduled, ...page2.body.scheduled].map((s: { event: { id: string } }) => s.event.id),
    ).toEqual(['list-1', 'list-2', 'list-hidden']);
    expect(page2.body.next).not.toBeNull();
    expect((await call('/v1/scheduled?after=nonsense', { headers: keys.ops })).body.error?.code).toBe(
      'INVALID_QUERY',
    );

    expect((await call('/v1/scheduled/list-1', { method: 'DELETE', headers: keys.shop })).status).toBe(403);
    expect(await call('/v1/scheduled/list-1', { method: 'DELETE', headers: keys.ops })).toEqual({
      status: 200,
      body: { id: 'list-1', cancelled: true },
    });
    const gone = await call('/v1/scheduled/list-1', { method: 'DELETE', headers: keys.ops });
    expect([gone.status, gone.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    for (const id of ['list-2', 'list-hidden'])
      await call(`/v1/scheduled/${id}`, { method: 'DELETE', headers: keys.ops });
  });

  it('refuses what cannot be scheduled, naming the problem, and stores nothing', async () => {
    const cases: [unknown, Record<string, string>, number, string][] = [
      [{ type: 'orders.x', data: {} }, { 'herald-delay-ms': 'soon' }, 400, 'INVALID_QUERY'],
      [
        { type: 'orders.x', data: {} },
        { 'herald-delay-ms': '5', 'herald-deliver-at': new Date().toISOString() },
        400,
        'INVALID_QUERY',
      ],
      [{ type: 'orders.x', data: {} }, { 'herald-deliver-at': 'tomorrow' }, 400, 'INVALID_OPTION'],
      [{ type: 'orders.x', data: {}, deliverat: '2030-01-01T00:00:00' }, {}, 400, 'INVALID_OPTION'],
      [
        [
          { type: 'orders.x', data: {}, deliverat: '2030-01-01T00:00:00Z' },
          { type: 'orders.x', data: {}, deliverat: '2030-01-02T00:00:00Z' },
        ],
        {},
        400,
        'INVALID_EVENT',
      ],
      [
        { type: 'orders.x', data: {} },
        { 'herald-delay-ms': '10', 'herald-stream': 'order-1', 'herald-expected-version': '0' },
        400,
        'INVALID_QUERY',
      ],
      [{ type: 'billing.x', data: {} }, { 'herald-delay-ms': '10' }, 403, 'FORBIDDEN'],
      [
        { type: 'orders.x', data: {} },
        { 'herald-delay-ms': '10', 'herald-stream': 'secret-1' },
        403,
        'FORBIDDEN',
      ],
    ];
    for (const [body, headers, status, code] of cases) {
      const answer = await post(body, { 'content-type': 'application/json', ...headers });
      expect([answer.status, answer.body.error?.code], JSON.stringify({ body, headers })).toEqual([
        status,
        code,
      ]);
    }
    expect(await log.scheduled()).toEqual([]);
  });

  it('a WebSocket publish with deliverat answers scheduled', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`, { headers: keys.shop });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const replies: Body[] = [];
    ws.on('message', (data: Buffer) => replies.push(JSON.parse(data.toString('utf8'))));
    const deliverat = new Date(Date.now() + 100).toISOString();
    ws.send(
      JSON.stringify({
        type: 'publish',
        ref: 1,
        event: { id: 'sch-ws', type: 'orders.ws', data: {}, deliverat },
      }),
    );
    await waitFor(() => replies.some((r: { ref?: number }) => r.ref === 1), {
      message: 'no reply to the publish',
    });
    expect(replies.find((r) => r.ref === 1)).toEqual({
      type: 'scheduled',
      ref: 1,
      id: 'sch-ws',
      deliverAt: deliverat,
      duplicate: false,
    });
    expect(await stored('sch-ws')).toMatchObject({ deliverat });
    ws.close();
  });
});
