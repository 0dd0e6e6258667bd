import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../../src/backends/memory/index.js';
import { createAuthenticator } from '../../src/server/auth/authenticator.js';
import { startHub, type TestHub } from '../helpers/sse-hub.js';
import { bearer, call, send } from './helpers/http.js';

// Streams are addressed by name: a key may append to, read, or read the version of a stream only
// when its `streams` grants name it. Its events are still read by type everywhere.
const KEYS = [
  {
    name: 'orders',
    key: 'orders-key-123',
    publish: ['orders.>'],
    subscribe: ['orders.>'],
    streams: ['order-*'],
  },
  { name: 'typesOnly', key: 'types-key-123', publish: ['orders.>'], subscribe: ['orders.>'] },
  { name: 'ops', key: 'ops-key-12345', admin: true },
];

let hub: TestHub;
const url = (path: string) => `${hub.base}${path}`;

beforeAll(async () => {
  hub = await startHub({ log: memoryLog(), auth: { keys: KEYS } });
  const seed = await send(
    url('/v1/events'),
    { stream: 'payment-1', events: [{ type: 'payments.captured', data: {} }] },
    'ops-key-12345',
  );
  expect(seed.status).toBe(201);
});
afterAll(() => hub.app.close());

/** One WebSocket publish's reply. */
async function wsPublish(token: string, message: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ws = new WebSocket(`${hub.base.replace('http', 'ws')}/v1/ws`, { headers: bearer(token) });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'publish', ref: 1, ...message }));
    return await new Promise((resolve) =>
      ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as Record<string, unknown>)),
    );
  } finally {
    ws.close();
  }
}

describe('stream grants', () => {
  it('refuses a stream outside the grants on every route that names one, revealing nothing', async () => {
    const routes = [
      () => call(url('/v1/streams/payment-1'), { headers: bearer('orders-key-123') }),
      () => call(url('/v1/events?stream=payment-1'), { headers: bearer('orders-key-123') }),
      () =>
        send(url('/v1/events'), { type: 'orders.created' }, 'orders-key-123', 'POST', {
          'herald-stream': 'payment-1',
          'herald-expected-version': '1',
        }),
      () =>
        send(
          url('/v1/events'),
          { stream: 'payment-1', expectedVersion: 1, events: [{ type: 'orders.x' }] },
          'orders-key-123',
        ),
    ];
    for (const route of routes) {
      const reply = await route();
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('FORBIDDEN');
      expect(JSON.stringify(reply.body)).not.toMatch(/"version"|payments\.captured/);
    }
    // The same answer whether or not the stream exists.
    const ghost = await call(url('/v1/streams/payment-404'), { headers: bearer('orders-key-123') });
    expect(ghost.status).toBe(403);
    const ws = await wsPublish('orders-key-123', {
      event: { type: 'orders.created' },
      stream: 'payment-1',
      expectedVersion: 1,
    });
    expect(ws).toMatchObject({ type: 'error', code: 'FORBIDDEN', ref: 1 });
    const version = await call(url('/v1/streams/payment-1'), { headers: bearer('ops-key-12345') });
    expect(version.body.version).toBe(1);
  });

  it('lets a key use the streams its grants name, by name or prefix, over HTTP and WebSocket', async () => {
    const appended = await send(url('/v1/events'), { type: 'orders.created' }, 'orders-key-123', 'POST', {
      'herald-stream': 'order-7',
      'herald-expected-version': 'no_stream',
    });
    expect(appended.status).toBe(201);
    const ws = await wsPublish('orders-key-123', {
      event: { type: 'orders.paid' },
      stream: 'order-7',
      expectedVersion: 1,
    });
    expect(ws).toMatchObject({ type: 'ack', stream: 'order-7', version: 2 });
    const read = await call(url('/v1/streams/order-7'), { headers: bearer('orders-key-123') });
    expect(read.status).toBe(200);
    expect(read.body.version).toBe(2);
    const query = await call(url('/v1/events?stream=order-7'), { headers: bearer('orders-key-123') });
    expect(query.body.events).toHaveLength(2);
  });

  it('gives a key without stream grants no stream, while it still publishes and reads by type', async () => {
    const plain = await send(url('/v1/events'), { type: 'orders.created' }, 'types-key-123');
    expect(plain.status).toBe(201);
    const streamed = await send(
      url('/v1/events'),
      { stream: 'order-8', events: [{ type: 'orders.created' }] },
      'types-key-123',
    );
    expect(streamed.status).toBe(403);
    expect(streamed.body.error.message).toContain('streams');
  });

  it('refuses malformed stream grants in keys and JWT claims', () => {
    for (const streams of [['or*der'], [''], ['a\nb'], [7]]) {
      expect(() =>
        createAuthenticator({ keys: [{ name: 'k', key: 'long-enough-key', streams: streams as string[] }] }),
      ).toThrow(/invalid stream grant/);
    }
  });
});
