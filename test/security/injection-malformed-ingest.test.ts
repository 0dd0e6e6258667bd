/**
 * Inputs that used to crash the hub's ingest (500 INTERNAL), sent as an attacker would: `data`
 * nested 100,000 levels deep over HTTP (every CloudEvents mode) and WebSocket, and binary-mode
 * headers with broken percent-encoding. Each must be a 400 naming the rule, and an event at the
 * nesting limit must still go through every recursive path (the log, the query, SSE, WebSocket).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker } from '../../src/broker/create-broker.js';
import { MAX_DATA_DEPTH } from '../../src/event/data-depth.js';
import { memoryLog } from '../../src/backends/memory/index.js';
import { waitFor } from '../../src/testing/wait-for.js';
import { openSse } from '../helpers/sse-stream.js';
import { isErrorReply, securityHub, type SecurityHub } from './fuzz-helpers/security-hub.js';
import { connectWs } from './fuzz-helpers/ws-client.js';

const ATTACK_DEPTH = 100_000;
const arrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const objects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const depthError = { code: 'INVALID_EVENT', details: { attribute: 'data', rule: 'depth', limit: 100 } };

let hub: SecurityHub;
beforeAll(async () => {
  // SQLite, as `herald serve` runs by default: its append writes the event with JSON.stringify.
  hub = await securityHub('sqlite', { bodyLimit: 4 * 1024 * 1024 });
});
afterAll(() => hub.stop());

async function post(body: string, headers: Record<string, string>) {
  const res = await fetch(`${hub.base}/v1/events`, { method: 'POST', body, headers });
  const json: unknown = await res.json();
  return { status: res.status, json: json as Record<string, unknown> };
}

describe('data nested deeper than the limit', () => {
  const ce = { specversion: '1.0', id: 'deep-1', source: '/attacker', type: 'a.b' };
  const modes: [string, string, Record<string, string>][] = [
    ['plain JSON', `{"type":"a.b","data":${arrays(ATTACK_DEPTH)}}`, { 'content-type': 'application/json' }],
    [
      'structured mode',
      `${JSON.stringify(ce).slice(0, -1)},"data":${objects(ATTACK_DEPTH)}}`,
      { 'content-type': 'application/cloudevents+json' },
    ],
    [
      'batch mode',
      `[${JSON.stringify(ce).slice(0, -1)},"data":${arrays(ATTACK_DEPTH)}}]`,
      { 'content-type': 'application/cloudevents-batch+json' },
    ],
    [
      'binary mode',
      arrays(ATTACK_DEPTH),
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'deep-2',
        'ce-source': '/attacker',
        'ce-type': 'a.b',
      },
    ],
  ];
  it.each(modes)(
    'is refused over HTTP in %s with 400 INVALID_EVENT, rule depth',
    async (_mode, body, headers) => {
      const { status, json } = await post(body, headers);
      expect(status).toBe(400);
      expect(isErrorReply(json)).toBe(true);
      expect(json.error).toMatchObject(depthError);
    },
  );

  it('is refused one level past the limit and accepted at it, in a plain-JSON stream envelope too', async () => {
    const over = await post(
      `{"stream":"s-deep","events":[{"type":"a.b","data":${arrays(MAX_DATA_DEPTH + 1)}}]}`,
      {
        'content-type': 'application/json',
      },
    );
    expect(over.status).toBe(400);
    expect(over.json.error).toMatchObject(depthError);
    const at = await post(`{"type":"a.b","data":${objects(MAX_DATA_DEPTH)}}`, {
      'content-type': 'application/json',
    });
    expect(at.status).toBe(201);
  });

  it('is refused over WebSocket with an error naming the rule; the socket stays usable', async () => {
    const c = await connectWs(hub.base);
    try {
      c.send(`{"type":"publish","ref":1,"event":{"type":"a.b","data":${arrays(ATTACK_DEPTH)}}}`);
      const error = await c.next((m) => m.type === 'error');
      expect(error).toMatchObject({ ref: 1, ...depthError });
      c.send({ type: 'publish', ref: 2, event: { type: 'a.b', data: { ok: true } } });
      expect(await c.next((m) => m.ref === 2)).toMatchObject({ type: 'ack', duplicate: false });
      expect(c.closed).toBeUndefined();
    } finally {
      c.close();
    }
  });

  it('is refused by the broker, in process', async () => {
    const broker = createBroker({ log: memoryLog() });
    try {
      const deep = JSON.parse(arrays(ATTACK_DEPTH)) as unknown;
      await expect(broker.publish('a.b', deep)).rejects.toMatchObject(depthError);
      await expect(broker.publish({ type: 'a.b', data: deep, subject: 's' })).rejects.toMatchObject(
        depthError,
      );
    } finally {
      await broker.close();
    }
  });

  it('an event at the limit is stored, read back and delivered over SSE and WebSocket unchanged', async () => {
    const data = JSON.parse(`[${objects(MAX_DATA_DEPTH - 1)}]`) as unknown;
    const sse = await openSse(`${hub.base}/v1/sse?types=limit.>`);
    const c = await connectWs(hub.base);
    try {
      c.send({ type: 'subscribe', id: 'limit', patterns: ['limit.>'] });
      await c.next((m) => m.type === 'subscribed');
      const { status, json } = await post(JSON.stringify({ id: 'at-limit', type: 'limit.ok', data }), {
        'content-type': 'application/json',
      });
      expect(status).toBe(201);
      const got = (await (await fetch(`${hub.base}/v1/events/at-limit`)).json()) as { data: unknown };
      expect(got.data).toEqual(data);
      await waitFor(() => sse.events.length === 1);
      expect((JSON.parse(sse.events[0]!.data) as { data: unknown }).data).toEqual(data);
      const delivered = await c.next((m) => m.type === 'event');
      expect((delivered.event as { data: unknown }).data).toEqual(data);
      expect((json.events as { position: number }[])[0]!.position).toBe(delivered.position);
    } finally {
      sse.close();
      c.close();
    }
  });
});

describe('binary-mode headers with broken percent-encoding', () => {
  const headers = (extra: Record<string, string>) => ({
    'content-type': 'text/plain',
    'ce-specversion': '1.0',
    'ce-id': 'pct-1',
    'ce-source': '/attacker',
    'ce-type': 'a.b',
    ...extra,
  });
  it.each([
    ['ce-subject', '%E0%A4%A'],
    ['ce-subject', '%'],
    ['ce-id', 'x%zz'],
    ['ce-source', '/s%FF'],
    ['ce-myext', '%C0%AF'],
    ['ce-subject', '%ED%A0%80'],
  ])('%s: %s is a 400 INVALID_EVENT naming the header', async (header, value) => {
    const { status, json } = await post('x', headers({ [header]: value }));
    expect(status).toBe(400);
    expect(isErrorReply(json)).toBe(true);
    expect(json.error).toMatchObject({
      code: 'INVALID_EVENT',
      details: { header, attribute: header.slice(3), rule: 'percent-encoding' },
    });
  });

  it('still decodes well-formed escapes', async () => {
    const { status } = await post('x', headers({ 'ce-id': 'pct-ok', 'ce-subject': '%E0%A4%A0%20x' }));
    expect(status).toBe(201);
    const got = (await (await fetch(`${hub.base}/v1/events/pct-ok`)).json()) as { subject: string };
    expect(got.subject).toBe('\u0920 x');
  });
});

describe('a plain-JSON stream envelope', () => {
  it('refuses an expectedVersion that is not a word or a number with 400, however deep', async () => {
    const { status, json } = await post(
      `{"stream":"s","expectedVersion":${arrays(ATTACK_DEPTH)},"events":[]}`,
      {
        'content-type': 'application/json',
      },
    );
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: 'INVALID_QUERY', details: { parameter: 'expectedVersion' } });
  });
});
