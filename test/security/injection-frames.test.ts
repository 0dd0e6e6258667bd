/**
 * Frame injection into live delivery. Events whose attributes (id, source, type, subject,
 * datacontenttype, dataschema, an extension, a Herald attribute, extension names, `data` strings
 * and keys, binary bodies) hold line ends, SSE fields (`\n\ndata: injected`, `\nid: 999`,
 * `\nevent: x`, `\nretry: 1`), NUL, C1 controls, U+2028/U+2029, lone surrogates, a BOM or
 * noncharacters are published in structured mode, in binary mode (percent-encoded `ce-*`
 * headers) and over a WebSocket `publish`. Each is refused with a 4xx and a JSON error code, or
 * delivered so that every live client sees exactly one message for it: the WHATWG test parser
 * over the raw SSE bytes (`named=true` and the unnamed default), the `eventsource` package (both),
 * and a WebSocket subscriber, each with the position as id and data that JSON-parses to the
 * exact event sent. The SSE query (`types`, `from`, `lastEventId`, `named`), the `Last-Event-ID`
 * header (also raw CR, LF and NUL on a bare socket) and WebSocket subscription ids, patterns and
 * refs are attacked the same way. Data nested too deep and broken percent-encoding are in
 * `injection-malformed-ingest.test.ts`.
 */
import { connect } from 'node:net';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/testing/wait-for.js';
import { parseSse, SseParser, type SseEvent } from '../helpers/sse-parser.js';
import { openSse, type SseStream } from '../helpers/sse-stream.js';
import { isErrorReply, securityHub, type SecurityHub } from './fuzz-helpers/security-hub.js';
import { connectWs, type WsClient, type WsMessage } from './fuzz-helpers/ws-client.js';

const RETRY_MS = 2_000;

/** What is appended to (or put in) an attribute: SSE framing, line ends, and odd code points. */
const PIECES: readonly string[] = [
  '\r',
  '\n',
  '\r\n',
  '\n\ndata: injected',
  '\nid: 999',
  '\nevent: x',
  '\nretry: 1',
  '\r\rdata: injected\r\r',
  '\r\n\r\nid: 999\r\nevent: x\r\ndata: {}\r\n\r\n',
  '\u0000',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\uffff',
  ':comment',
  'data:injected',
  'id:999',
  'retry:1',
  'event:x',
  '😀',
  '"\\',
  '%0D%0A',
];

// eslint-disable-next-line no-control-regex -- control characters are what these cases are about
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /\p{Cs}/u;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;

type Attribute =
  | 'id'
  | 'source'
  | 'type'
  | 'subject'
  | 'datacontenttype'
  | 'dataschema'
  | 'myext'
  | 'correlationid'
  | 'extension name'
  | 'data string'
  | 'data key'
  | 'binary body';

/**
 * `accept`: must be stored and delivered; `refuse`: must be a 4xx; `either`: the attribute's own
 * grammar decides (a URI, a media type, the subject grammar), but never a 5xx or a bad frame.
 */
type Expectation = 'accept' | 'refuse' | 'either';

function expectationOf(attribute: Attribute, piece: string): Expectation {
  if (attribute === 'data string' || attribute === 'data key' || attribute === 'binary body') return 'accept';
  if (attribute === 'extension name') return 'refuse';
  // CloudEvents String: no controls, no lone surrogates, no noncharacters.
  if (CONTROL.test(piece) || LONE_SURROGATE.test(piece) || NONCHARACTER.test(piece)) return 'refuse';
  if (attribute === 'id' || attribute === 'subject' || attribute === 'myext' || attribute === 'correlationid')
    return 'accept';
  return 'either';
}

type Outcome = { accepted: true; position: number } | { accepted: false; status: number; code: string };

/** An accepted event and what every client must have received for it. */
interface Delivered {
  position: number;
  type: string;
  event: Record<string, unknown>;
}

let hub: SecurityHub;
let sseNamed: SseStream;
let ssePlain: SseStream;
let esNamed: EventSource;
let esPlain: EventSource;
const esNamedGot: MessageEvent[] = [];
const esPlainGot: MessageEvent[] = [];
const esTrouble = { opens: 0, errors: 0 };
let wsSubscriber: WsClient;
let wsPublisher: WsClient;
let wsRef = 0;
const delivered: Delivered[] = [];
let serial = 0;

/** A WebSocket subscription id that is itself an injection attempt. */
const SUBSCRIPTION = 'inj\r\n\r\ndata: injected\nid: 999\u2028\u0000\ud800"}';

/** Every type a case may publish, so the named `EventSource` listens to each. */
const TYPES = ['inj.t', ...PIECES.map((p) => `inj.t${p}`)];

beforeAll(async () => {
  // SQLite, as `herald serve` runs by default: delivery reads every event back from it.
  // Keep-alives are pushed past the test so no `id:` comes but the events'. An aborted fetch
  // leaves undici's spare connection open without a request: closing waits the grace for it.
  hub = await securityHub('sqlite', {
    live: { keepAliveMs: 600_000, retryMs: RETRY_MS },
    shutdownGraceMs: 500,
  });
  // Unnamed is the default framing; `named=true` adds `event: <type>`.
  sseNamed = await openSse(`${hub.base}/v1/sse?types=inj.>&named=true`);
  ssePlain = await openSse(`${hub.base}/v1/sse?types=inj.>`);
  esNamed = new EventSource(`${hub.base}/v1/sse?types=inj.>&named=true`);
  esPlain = new EventSource(`${hub.base}/v1/sse?types=inj.>`);
  for (const es of [esNamed, esPlain]) {
    es.onopen = () => void esTrouble.opens++;
    es.onerror = () => void esTrouble.errors++;
  }
  for (const type of TYPES) esNamed.addEventListener(type, (e) => esNamedGot.push(e));
  esPlain.onmessage = (e) => esPlainGot.push(e);
  wsSubscriber = await connectWs(hub.base);
  wsSubscriber.send({ type: 'subscribe', id: SUBSCRIPTION, patterns: ['inj.>'] });
  const subscribed = await wsSubscriber.next((m) => m.type === 'subscribed');
  expect(subscribed.id).toBe(SUBSCRIPTION);
  wsPublisher = await connectWs(hub.base);
  await waitFor(() => esTrouble.opens === 2 && sseNamed.retry.length === 1 && ssePlain.retry.length === 1, {
    message: 'every SSE client connected',
  });
});

afterAll(async () => {
  sseNamed.close();
  ssePlain.close();
  esNamed.close();
  esPlain.close();
  wsSubscriber.close();
  wsPublisher.close();
  await hub.stop();
});

const wsEvents = (): WsMessage[] =>
  wsSubscriber.messages.filter((m) => m.type === 'event' && m.subscription === SUBSCRIPTION);

/** The stored event as delivered: what was sent, plus where and when the log stored it. */
const stored = (d: Delivered) => ({ ...d.event, position: d.position, recordedat: expect.any(String) });

/** How many delivered events every client was already checked for. */
let checked = 0;

/**
 * One message per accepted event, in order, with the right id, type and data, on every client:
 * exactly `count` of them, the ones not checked yet compared in full.
 */
async function expectEveryClientHas(count: number): Promise<void> {
  await waitFor(
    () =>
      sseNamed.events.length >= count &&
      ssePlain.events.length >= count &&
      esNamedGot.length >= count &&
      esPlainGot.length >= count &&
      wsEvents().length >= count,
    { message: `${count} events on every client` },
  );
  const sse = (events: SseEvent[], named: boolean) => {
    expect(events).toHaveLength(count);
    for (let i = checked; i < count; i++) {
      const want = delivered[i]!;
      expect(events[i]!.lastEventId).toBe(String(want.position));
      expect(events[i]!.type).toBe(named ? want.type : 'message');
      expect(JSON.parse(events[i]!.data)).toEqual(stored(want));
    }
  };
  sse(sseNamed.events, true);
  sse(ssePlain.events, false);
  const es = (events: MessageEvent[], named: boolean) => {
    expect(events).toHaveLength(count);
    for (let i = checked; i < count; i++) {
      const want = delivered[i]!;
      expect(events[i]!.lastEventId).toBe(String(want.position));
      expect(events[i]!.type).toBe(named ? want.type : 'message');
      expect(JSON.parse(events[i]!.data as string)).toEqual(stored(want));
    }
  };
  es(esNamedGot, true);
  es(esPlainGot, false);
  const ws = wsEvents();
  expect(ws).toHaveLength(count);
  for (let i = checked; i < count; i++) {
    const want = delivered[i]!;
    expect(ws[i]).toEqual({
      type: 'event',
      subscription: SUBSCRIPTION,
      position: want.position,
      event: stored(want),
    });
  }
  // Nothing moved the clients' state: one retry (the hub's), no reconnect, the last id is the last event's.
  expect(sseNamed.retry).toEqual([RETRY_MS]);
  expect(ssePlain.retry).toEqual([RETRY_MS]);
  const last = count === 0 ? undefined : String(delivered[count - 1]!.position);
  if (last !== undefined) {
    expect(sseNamed.lastEventId()).toBe(last);
    expect(ssePlain.lastEventId()).toBe(last);
  }
  expect(esTrouble).toEqual({ opens: 2, errors: 0 });
  checked = count;
}

async function httpOutcome(res: Response): Promise<Outcome> {
  const text = await res.text();
  const body = JSON.parse(text) as unknown;
  if (res.status === 201) {
    return { accepted: true, position: (body as { events: { position: number }[] }).events[0]!.position };
  }
  expect(res.status, text).toBeGreaterThanOrEqual(400);
  expect(res.status, text).toBeLessThan(500);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(isErrorReply(body), text).toBe(true);
  return { accepted: false, status: res.status, code: (body as { error: { code: string } }).error.code };
}

async function postStructured(event: Record<string, unknown>): Promise<Outcome> {
  const res = await fetch(`${hub.base}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  });
  return httpOutcome(res);
}

async function publishWs(event: Record<string, unknown>): Promise<Outcome> {
  const ref = `r${++wsRef}\n\ndata: x\u2028`;
  const from = wsPublisher.messages.length;
  wsPublisher.send({ type: 'publish', ref, event });
  const reply = await wsPublisher.next((m) => m.ref === ref, from);
  if (reply.type === 'ack') return { accepted: true, position: reply.position as number };
  expect(reply.type).toBe('error');
  expect(typeof reply.code).toBe('string');
  expect(typeof reply.message).toBe('string');
  return { accepted: false, status: 400, code: reply.code as string };
}

/**
 * A header value as the HTTP binding writes it: printable ASCII as is, `%`, `"` and everything
 * else percent-encoded as UTF-8. A lone surrogate has no UTF-8; it is sent as the bytes a
 * careless encoder (CESU-8) would write, which the hub must refuse.
 */
function headerEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[\x21-\x7e]$/.test(ch) && ch !== '%' && ch !== '"') out += ch;
    else if (LONE_SURROGATE.test(ch)) {
      const c = ch.charCodeAt(0);
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** A full CloudEvent, nothing left for the hub to fill in, with `piece` in `attribute`. */
function cloudEvent(attribute: Attribute, piece: string): Record<string, unknown> {
  const n = ++serial;
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: `inj-${n}`,
    source: '/inj',
    type: 'inj.t',
    // A full event: over WebSocket a missing time would be filled in.
    time: '2026-05-22T10:00:00Z',
    data: { n },
  };
  switch (attribute) {
    case 'id':
    case 'subject':
    case 'correlationid':
      event[attribute] = `${attribute === 'id' ? `inj-${n}` : 'v'}${piece}`;
      break;
    case 'source':
      event.source = `/src${piece}`;
      break;
    case 'type':
      event.type = `inj.t${piece}`;
      break;
    case 'datacontenttype':
      event.datacontenttype = `text/plain; charset=utf-8${piece}`;
      event.data = 'text';
      break;
    case 'dataschema':
      event.dataschema = `https://example.com/s${piece}`;
      break;
    case 'myext':
      event.myext = `v${piece}`;
      break;
    case 'extension name':
      event[`x${piece}`] = 'v';
      break;
    case 'data string':
      event.data = `text${piece}`;
      break;
    case 'data key':
      event.data = { [`k${piece}`]: `v${piece}`, nested: [piece, { [piece]: piece }] };
      break;
    case 'binary body':
      delete event.data;
      event.data_base64 = Buffer.from(`\r\n\u0000${piece}\r\n\r\n`, 'utf8').toString('base64');
      break;
  }
  return event;
}

/** The same event in binary mode: `ce-*` headers and a body, and the event the hub must store. */
async function postBinary(attribute: Attribute, piece: string): Promise<[Outcome, Record<string, unknown>]> {
  const n = ++serial;
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: `inj-${n}`,
    source: '/inj',
    type: 'inj.t',
  };
  let contentType: string | undefined = 'text/plain; charset=utf-8';
  let body: Buffer = Buffer.from(`text ${n}`, 'utf8');
  switch (attribute) {
    case 'id':
      attributes.id = `inj-${n}${piece}`;
      break;
    case 'subject':
    case 'correlationid':
    case 'myext':
      attributes[attribute] = `v${piece}`;
      break;
    case 'source':
      attributes.source = `/src${piece}`;
      break;
    case 'type':
      attributes.type = `inj.t${piece}`;
      break;
    case 'datacontenttype':
      // No Content-Type: the body is JSON, and the media type comes from its own header.
      contentType = undefined;
      attributes.datacontenttype = `text/plain; charset=utf-8${piece}`;
      body = Buffer.from('"text"', 'utf8');
      break;
    case 'dataschema':
      attributes.dataschema = `https://example.com/s${piece}`;
      break;
    case 'data string':
      body = Buffer.from(`text${piece}`, 'utf8');
      break;
    case 'data key':
      contentType = 'application/json';
      body = Buffer.from(JSON.stringify({ [`k${piece}`]: `v${piece}`, nested: [piece] }), 'utf8');
      break;
    case 'binary body':
      contentType = 'application/octet-stream';
      body = Buffer.concat([
        Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0xfe]),
        Buffer.from(`${piece}\n\n`, 'utf8'),
      ]);
      break;
    case 'extension name':
      throw new Error('header names cannot carry these characters');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) headers[`ce-${name}`] = headerEncode(value);
  if (contentType !== undefined) headers['content-type'] = contentType;
  const res = await fetch(`${hub.base}/v1/events`, { method: 'POST', headers, body: new Uint8Array(body) });
  const expected: Record<string, unknown> = { ...attributes };
  if (contentType !== undefined) expected.datacontenttype = contentType;
  if (contentType === 'application/octet-stream') expected.data_base64 = body.toString('base64');
  else if (contentType === undefined || contentType === 'application/json')
    expected.data = JSON.parse(body.toString('utf8'));
  else expected.data = body.toString('utf8');
  return [await httpOutcome(res), expected];
}

const ATTRIBUTES: readonly Attribute[] = [
  'id',
  'source',
  'type',
  'subject',
  'datacontenttype',
  'dataschema',
  'myext',
  'correlationid',
  'extension name',
  'data string',
  'data key',
  'binary body',
];

const attributesOf = (mode: 'structured' | 'binary' | 'ws') =>
  ATTRIBUTES.filter((a) => mode !== 'binary' || a !== 'extension name');

const tally = { accepted: 0, refused: 0 };

async function judge(
  outcome: Outcome,
  event: Record<string, unknown>,
  expectation: Expectation,
  label: string,
): Promise<void> {
  if (outcome.accepted) {
    expect(expectation, `${label} was stored`).not.toBe('refuse');
    tally.accepted++;
    delivered.push({ position: outcome.position, type: event.type as string, event });
  } else {
    expect(expectation, `${label} was refused with ${outcome.code}`).not.toBe('accept');
    expect(['INVALID_EVENT', 'INVALID_TYPE']).toContain(outcome.code);
    tally.refused++;
  }
  // Also after a refusal: nothing new may have reached any client.
  await expectEveryClientHas(delivered.length);
}

// One test per attribute, each trying every piece in turn (and checking every client after each).
describe('attributes carrying SSE framing, published in structured mode', () => {
  it.each(attributesOf('structured'))('%s', async (attribute) => {
    for (const piece of PIECES) {
      const event = cloudEvent(attribute, piece);
      const label = `${attribute} + ${JSON.stringify(piece)}`;
      await judge(await postStructured(event), event, expectationOf(attribute, piece), label);
    }
  });
});

describe('attributes carrying SSE framing, published in binary mode (percent-encoded ce-* headers)', () => {
  it.each(attributesOf('binary'))('%s', async (attribute) => {
    for (const piece of PIECES) {
      const [outcome, expected] = await postBinary(attribute, piece);
      const label = `${attribute} + ${JSON.stringify(piece)}`;
      await judge(outcome, expected, expectationOf(attribute, piece), label);
    }
  });
});

describe('attributes carrying SSE framing, published over WebSocket', () => {
  it.each(attributesOf('ws'))('%s', async (attribute) => {
    for (const piece of PIECES) {
      const event = cloudEvent(attribute, piece);
      const label = `${attribute} + ${JSON.stringify(piece)}`;
      await judge(await publishWs(event), event, expectationOf(attribute, piece), label);
    }
  });
});

describe('the whole stream afterwards', () => {
  it('went both ways: many events stored, many refused', () => {
    expect(tally.accepted).toBeGreaterThan(200);
    expect(tally.refused).toBeGreaterThan(200);
    // Types the grammar allows were delivered under their own names.
    expect(new Set(delivered.map((d) => d.type)).size).toBeGreaterThan(5);
  });

  it('is made only of the hub frames, and parses the same in one-byte chunks', async () => {
    await expectEveryClientHas(delivered.length);
    for (const s of [sseNamed, ssePlain]) {
      const raw = s.raw();
      const lines = raw.split(/\r\n|\r|\n/);
      // Every line is a field the hub writes, or empty; `retry:` only once, `id:` once per event and once at the start.
      for (const line of lines)
        expect(line).toMatch(/^(|retry: \d+|id: \d+|event: inj\.\S+|data: \{.*\})$/su);
      expect(lines.filter((l) => l.startsWith('retry:'))).toEqual([`retry: ${RETRY_MS}`]);
      expect(lines.filter((l) => l.startsWith('id:'))).toHaveLength(delivered.length + 1);
      expect(lines.filter((l) => l.startsWith('data:'))).toHaveLength(delivered.length);
      // The browser's view does not depend on how the bytes were cut.
      const whole = parseSse(raw);
      const bytes = new TextEncoder().encode(raw);
      const events: SseEvent[] = [];
      const parser = new SseParser({ onEvent: (e) => events.push(e) });
      for (const b of bytes) parser.push(Uint8Array.of(b));
      parser.end();
      expect(events).toEqual(whole.events);
      expect(whole.events).toEqual(s.events);
    }
  });

  it('stored the events as delivered: the log reads back what every client received', async () => {
    for (const d of delivered) {
      const res = await fetch(`${hub.base}/v1/events/${encodeURIComponent(d.event.id as string)}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(stored(d));
    }
  });
});

describe('the SSE request itself', () => {
  async function refused(path: string, headers: Record<string, string>, code: string, parameter?: string) {
    // A stream opened by mistake would never end: the request gives up after a while.
    const res = await fetch(`${hub.base}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text) as unknown;
    expect(isErrorReply(body), text).toBe(true);
    expect((body as { error: { code: string } }).error.code).toBe(code);
    if (parameter !== undefined)
      expect((body as { error: { details: { parameter: string } } }).error.details.parameter).toBe(parameter);
  }

  const encoded = [
    '%0A',
    '%0D',
    '%0D%0A',
    '%0A%0Adata:%20injected',
    '%0Aid:%20999',
    '%0Aretry:%201',
    '%00',
    '%E2%80%A8',
  ];

  it.each(encoded)('types=inj.%sx is 400 INVALID_PATTERN, not a stream', async (bad) => {
    await refused(`/v1/sse?types=inj.${bad}x`, {}, 'INVALID_PATTERN');
    await refused(`/v1/sse?types=inj.>,x${bad}x`, {}, 'INVALID_PATTERN');
  });

  it('white space around a pattern is dropped, and nothing of the query reaches the stream', async () => {
    const s = await openSse(`${hub.base}/v1/sse?types=%0D%0A%E2%80%A8inj.%3E%0A%0A,%20%0D`);
    try {
      await waitFor(() => s.retry.length === 1);
      expect(s.raw()).toBe(`retry: ${RETRY_MS}\nid: ${delivered.at(-1)!.position}\n\n`);
    } finally {
      s.close();
    }
  });

  it.each(encoded)(
    'lastEventId=1%s, from=1%s and named=true%s are 400 INVALID_QUERY naming the parameter',
    async (bad) => {
      await refused(`/v1/sse?lastEventId=1${bad}`, {}, 'INVALID_QUERY', 'lastEventId');
      await refused(`/v1/sse?from=1${bad}`, {}, 'INVALID_QUERY', 'from');
      await refused(`/v1/sse?named=true${bad}`, {}, 'INVALID_QUERY', 'named');
    },
  );

  it.each(['1 id: 999', '1%0Aid:%20999', '1;retry: 1', '+1', '1e3', '0x1', '-1', '99999999999999999'])(
    'Last-Event-ID: %s is 400 INVALID_QUERY naming the header',
    async (value) => {
      await refused('/v1/sse', { 'last-event-id': value }, 'INVALID_QUERY', 'Last-Event-ID');
    },
  );

  /** Sends `request` on a bare socket and returns the whole answer (the hub closes after an error). */
  function rawExchange(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: hub.port });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.once('error', reject);
      socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.write(request, 'latin1');
      // A stream that was (wrongly) opened would never close by itself.
      setTimeout(() => socket.destroy(), 2_000).unref();
    });
  }

  it.each([
    ['a bare LF', '1\nid: 999'],
    ['a bare CR', '1\rid: 999'],
    ['CR LF CR LF then a frame', '1\r\n\r\ndata: injected\r\n\r\n'],
    ['a NUL', '1\u0000'],
    ['an obs-fold continuation', '1\r\n id: 999'],
  ])(
    'a raw Last-Event-ID with %s is refused by the HTTP parser, or read as a header and refused',
    async (_name, value) => {
      const host = `127.0.0.1:${hub.port}`;
      const answer = await rawExchange(
        `GET /v1/sse?types=inj.%3E HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\nLast-Event-ID: ${value}\r\nConnection: close\r\n\r\n`,
      );
      const split = answer.indexOf('\r\n\r\n');
      const head = answer.slice(0, split).toLowerCase();
      expect(head).toMatch(/^http\/1\.1 400 /);
      expect(head).toContain('content-type: application/json');
      expect(head).not.toContain('text/event-stream');
      expect(isErrorReply(JSON.parse(answer.slice(split + 4)))).toBe(true);
    },
  );

  it('a valid Last-Event-ID is echoed as the number it names, never as sent', async () => {
    const first = delivered[0]!.position;
    const s = await openSse(`${hub.base}/v1/sse?types=inj.>`, { 'last-event-id': `000${first}` });
    try {
      await waitFor(() => s.events.length === delivered.length - 1, {
        message: 'the replay after the first event',
      });
      expect(s.raw().startsWith(`retry: ${RETRY_MS}\nid: ${first}\n\n`)).toBe(true);
      expect(s.positions()).toEqual(delivered.slice(1).map((d) => d.position));
    } finally {
      s.close();
    }
    const past = await openSse(`${hub.base}/v1/sse?types=inj.>&lastEventId=999999999999999`);
    try {
      await waitFor(() => past.comments.length === 1);
      // The reset note is one comment line, with numbers only; the stream starts at the end.
      expect(past.comments[0]).toMatch(
        /^herald: Last-Event-ID 999999999999999 is past the end of the log \(\d+\); starting at the end$/,
      );
      expect(past.lastEventId()).toBe(String(delivered.at(-1)!.position));
    } finally {
      past.close();
    }
  });
});

describe('WebSocket subscription ids, patterns, positions and refs', () => {
  let c: WsClient;
  beforeAll(async () => {
    c = await connectWs(hub.base);
  });
  afterAll(() => c.close());

  const ids = PIECES.map((p) => [JSON.stringify(p), `sub${p}`] as const);

  it.each(ids)(
    'id sub + %s is echoed exactly, carried by its events, and unsubscribes',
    async (_name, id) => {
      const from = c.messages.length;
      c.send({ type: 'subscribe', id, patterns: ['inj.>'], lastEventId: delivered.at(-2)!.position });
      const subscribed = await c.next((m) => m.id === id, from);
      expect(subscribed).toEqual({
        type: 'subscribed',
        id,
        patterns: ['inj.>'],
        after: delivered.at(-2)!.position,
      });
      const event = await c.next((m) => m.type === 'event' && m.subscription === id, from);
      expect(event).toEqual({
        type: 'event',
        subscription: id,
        position: delivered.at(-1)!.position,
        event: stored(delivered.at(-1)!),
      });
      c.send({ type: 'unsubscribe', id });
      expect(await c.next((m) => m.type === 'unsubscribed' && m.id === id, from)).toEqual({
        type: 'unsubscribed',
        id,
      });
      // One event for it, nothing for any other id.
      const mine = c.messages.slice(from).filter((m) => m.type === 'event');
      expect(mine).toHaveLength(1);
    },
  );

  it.each(PIECES.map((p) => [JSON.stringify(p), p] as const))(
    'a pattern, a from and a lastEventId carrying %s are refused with a code, echoing the id',
    async (_name, piece) => {
      const from = c.messages.length;
      const id = `bad${piece}`;
      const sent = [
        { type: 'subscribe', id: `${id}-p`, patterns: [`inj.${piece}>`] },
        { type: 'subscribe', id: `${id}-f`, from: `1${piece}` },
        { type: 'subscribe', id: `${id}-l`, lastEventId: `1${piece}` },
      ];
      for (const m of sent) c.send(m);
      const replies = await Promise.all(sent.map((m) => c.next((r) => r.id === m.id, from)));
      for (const reply of replies) {
        // A pattern of the grammar's own characters (inj.:comment>) may be valid: then it subscribed.
        if (reply.type === 'subscribed') {
          expect(reply.id).toBe(`${id}-p`);
          c.send({ type: 'unsubscribe', id: reply.id });
          await c.next((m) => m.type === 'unsubscribed' && m.id === reply.id, from);
          continue;
        }
        expect(reply.type).toBe('error');
        expect(['INVALID_PATTERN', 'INVALID_QUERY']).toContain(reply.code);
      }
    },
  );

  it('an id longer than 256 characters, empty, or not a string is INVALID_MESSAGE; the socket stays open', async () => {
    const from = c.messages.length;
    for (const id of ['x'.repeat(257), '', 7, null, ['a'], { a: 1 }]) c.send({ type: 'subscribe', id });
    await waitFor(() => c.messages.length - from === 6);
    for (const m of c.messages.slice(from)) {
      expect(m).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE', details: { field: 'id' } });
    }
    expect(c.closed).toBeUndefined();
  });

  it('an id in use is refused, and the subscription already there is untouched', async () => {
    const id = '\n\ndata: twice';
    const from = c.messages.length;
    c.send({ type: 'subscribe', id, patterns: ['inj.>'] });
    await c.next((m) => m.type === 'subscribed' && m.id === id, from);
    c.send({ type: 'subscribe', id, patterns: ['other.>'] });
    expect(await c.next((m) => m.type === 'error' && m.id === id, from)).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    const event = cloudEvent('data string', '\n\ndata: injected');
    const outcome = await postStructured(event);
    expect(outcome.accepted).toBe(true);
    if (outcome.accepted) delivered.push({ position: outcome.position, type: 'inj.t', event });
    const got = await c.next((m) => m.type === 'event' && m.subscription === id, from);
    expect(got.event).toEqual(stored(delivered.at(-1)!));
    c.send({ type: 'unsubscribe', id });
    await c.next((m) => m.type === 'unsubscribed', from);
    await expectEveryClientHas(delivered.length);
  });
});
