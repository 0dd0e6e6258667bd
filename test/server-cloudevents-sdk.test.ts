import { CloudEvent, HTTP, Mode, emitterFor, httpTransport } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';

// The official CloudEvents JavaScript SDK as the client of a real listening hub: what it sends in
// binary, structured and batch mode is stored, and what the hub returns reads back through the SDK.
let hub: TestHub;
let base: string;

beforeAll(async () => {
  hub = await startHub({ log: memoryLog() });
  base = hub.base;
});
afterAll(async () => {
  await hub.app.close();
  await hub.log.close();
});

async function send(message: { headers: Record<string, unknown>; body: unknown }): Promise<Response> {
  return fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: message.body as string,
  });
}

/** The stored event as the SDK reads it (Herald's own attributes stripped). */
async function readBack(id: string): Promise<CloudEvent<unknown>> {
  const res = await fetch(`${base}/v1/events/${id}`);
  expect(res.status).toBe(200);
  const stored = (await res.json()) as Record<string, unknown>;
  const { position: _position, recordedat: _recordedat, ...event } = stored;
  const parsed = HTTP.toEvent({
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  });
  return parsed as CloudEvent<unknown>;
}

describe('the cloudevents SDK as a client', () => {
  it('sends a binary-mode event that reads back with the same attributes, extensions and data', async () => {
    const event = new CloudEvent({
      type: 'orders.created',
      source: '/sdk/binary',
      subject: 'order-1',
      data: { total: 42, items: ['a', 'b'] },
      orderregion: 'eu',
    });
    const res = await send(HTTP.binary(event));
    expect(res.status).toBe(201);
    const back = await readBack(event.id);
    expect(back.type).toBe('orders.created');
    expect(back.source).toBe('/sdk/binary');
    expect(back.subject).toBe('order-1');
    expect(back.time).toBe(event.time);
    expect(back.data).toEqual({ total: 42, items: ['a', 'b'] });
    expect(back.orderregion).toBe('eu');
  });

  it('sends a structured-mode event, and a resend of the same id is an idempotent 200', async () => {
    const event = new CloudEvent({ type: 'orders.paid', source: '/sdk/structured', data: { ok: true } });
    const first = await send(HTTP.structured(event));
    expect(first.status).toBe(201);
    const again = await send(HTTP.structured(event));
    expect(again.status).toBe(200);
    type Reply = { events: { position: number }[] };
    const [a, b] = [(await first.json()) as Reply, (await again.json()) as Reply];
    expect(b.events[0]!.position).toBe(a.events[0]!.position);
    expect((await readBack(event.id)).data).toEqual({ ok: true });
  });

  it('sends binary data (octet-stream) that survives as data_base64', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const event = new CloudEvent({
      type: 'files.uploaded',
      source: '/sdk/bytes',
      datacontenttype: 'application/octet-stream',
      data: bytes,
    });
    const res = await send(HTTP.binary(event));
    expect(res.status).toBe(201);
    const stored = (await (await fetch(`${base}/v1/events/${event.id}`)).json()) as Record<string, unknown>;
    expect(Buffer.from(stored.data_base64 as string, 'base64')).toEqual(Buffer.from(bytes));
  });

  it('sends a batch that is stored in order and reads back through the SDK batch parser', async () => {
    const events = [1, 2, 3].map(
      (n) => new CloudEvent({ type: 'orders.line', source: '/sdk/batch', data: { n } }),
    );
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(events.map((e) => e.toJSON())),
    });
    expect(res.status).toBe(201);
    const query = (await (await fetch(`${base}/v1/events?types=orders.line`)).json()) as {
      events: Record<string, unknown>[];
    };
    const batch = HTTP.toEvent({
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(query.events.map(({ position: _p, recordedat: _r, ...e }) => e)),
    }) as CloudEvent<{ n: number }>[];
    expect(batch.map((e) => e.data?.n)).toEqual([1, 2, 3]);
    expect(batch.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it.each([Mode.BINARY, Mode.STRUCTURED])(
    'works with the SDK emitter over its HTTP transport (%s)',
    async (mode) => {
      const emit = emitterFor(httpTransport(`${base}/v1/events`), { mode });
      const event = new CloudEvent({ type: 'orders.emitted', source: '/sdk/emitter', data: { mode } });
      await emit(event);
      expect((await readBack(event.id)).data).toEqual({ mode });
    },
  );

  it('gets a 400 naming the attribute when the SDK is made to send an invalid event', async () => {
    const event = new CloudEvent({ type: 'orders.bad', source: '/sdk/bad', data: {} }, false);
    const message = HTTP.binary(event);
    const headers = { ...message.headers, 'ce-specversion': '0.1' } as Record<string, unknown>;
    const res = await send({ headers, body: message.body });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { attribute: string } } };
    expect(body.error.details.attribute).toBe('specversion');
  });
});
