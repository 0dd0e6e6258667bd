/**
 * Property-based fuzzing of the WebSocket protocol (`GET /v1/ws`, see `docs/live.md`).
 *
 * - `parseClientMessage` (and `echoOf`) on arbitrary JSON values, near-valid messages and text:
 *   a typed message that keeps its invariants, or `INVALID_MESSAGE` naming the field; nothing
 *   else is ever thrown, and an error never echoes a big value.
 * - A real hub (SQLite, with auth: a key for everything and a key limited to `fz.>`): a client
 *   sends a random sequence of frames (subscribe, unsubscribe, publish, ack, unknown types,
 *   garbage text, binary frames, huge ids, deep JSON), possibly ending with one that must close
 *   the socket (too big, not UTF-8, raw bytes that are not a frame). Every message gets exactly
 *   one reply of a defined type (`subscribed`, `unsubscribed`, `ack`, or `error` with a client
 *   code of `docs/errors.md`, never INTERNAL), events arrive only for subscriptions of the
 *   socket, in position order; a closed socket carries its code (1009, 1007, 1002); and
 *   afterwards `/healthz` answers and a fresh client publishes and receives.
 * - Regressions the fuzz found: a subscribe unsubscribed before it started got no reply; a
 *   reading client whose subscriptions caught up was closed 1013 on its next message; a protocol
 *   error on a busy socket was a cut connection (1006) instead of its close code.
 *
 * Seeded and bounded: see `fuzz-helpers/fuzz-options.ts` to replay a failure or run longer.
 */
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HeraldError } from '../../src/errors/herald-error.js';
import { waitFor } from '../../src/testing/wait-for.js';
import { echoOf, parseClientMessage, type ClientMessage } from '../../src/server/live/ws-messages.js';
import { nastyJson, nastyString, nestedJson } from './fuzz-helpers/arbitraries.js';
import { fuzzParams, httpStatusOf } from './fuzz-helpers/fuzz-options.js';
import { metricValue } from '../helpers/sse-hub.js';
import { securityHub, type SecurityHub } from './fuzz-helpers/security-hub.js';

const MAX_MESSAGE_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Mostly `valid`, sometimes `invalid`: so that sequences get far enough to do something. */
function mostly<T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: invalid });
}

/** Ids a sequence reuses (so unsubscribes and duplicates hit), and ones that are not ids at all. */
const anId = mostly(
  fc.constantFrom('a', 'b', 'c\n\ndata: x', '\ud800', 'x'.repeat(256)),
  fc.oneof(nastyString(8), fc.constantFrom('', 'x'.repeat(257)), nastyJson()),
);

const aPattern = mostly(
  fc.constantFrom('fz.>', 'fz.*', 'fz.a', '>', 'other.>'),
  fc.oneof(fc.constantFrom('fz..a', 'fz.>.a', 'fz.a*', '', ' fz.a', 'fz.\n'), nastyString(8)),
);

const aPosition = mostly(
  fc.constantFrom('start', 'end', '1', '3', '2026-01-01T00:00:00Z', 0, 1, 2),
  fc.oneof(
    fc.constantFrom('0', '00001', '9007199254740993', '-1', '1.5', ' 1', '1\n', -1, 1.5, 2 ** 53, 1e300, -0),
    fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:60+23:59', '2026-02-30T00:00:00Z'),
    nastyString(6),
    nastyJson(),
  ),
);

const aRef = mostly(
  fc.oneof(fc.nat(), fc.string({ maxLength: 4 })),
  fc.oneof(nastyString(6), fc.constantFrom(-0, 1.5, 1e308, 'r'.repeat(300)), nastyJson()),
);

const aType = mostly(
  fc.constantFrom('fz.a', 'fz.b.c', 'other.x'),
  fc.oneof(fc.constantFrom('fz..a', 'fz.*', 'fz.>', 'fz.a.', 'fz.\u2028'), nastyString(8), nastyJson()),
);

/** `{ type, data }`, a full CloudEvent with an attribute or two changed, or anything. */
const anEvent = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ type: aType, data: nastyJson() }, { requiredKeys: ['type'] }),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.uuid(),
        aType,
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'id',
              'source',
              'subject',
              'time',
              'datacontenttype',
              'dataschema',
              'myext',
              'specversion',
            ),
            nastyString(4),
          ),
          nastyJson(),
          { maxKeys: 1 },
        ),
      )
      .map(([id, type, extra]) => ({
        specversion: '1.0',
        id,
        source: '/fz',
        type,
        ...extra,
      })),
  },
  { weight: 1, arbitrary: nastyJson() },
);

const subscribe = fc.record(
  {
    type: fc.constant('subscribe'),
    id: anId,
    patterns: mostly(fc.array(aPattern, { minLength: 1, maxLength: 3 }), nastyJson()),
    from: aPosition,
    lastEventId: aPosition,
  },
  { requiredKeys: ['type', 'id'] },
);
const unsubscribe = fc.record({ type: fc.constant('unsubscribe'), id: anId }, { requiredKeys: ['type'] });
const publish = fc.oneof(
  fc.record({ type: fc.constant('publish'), ref: aRef, event: anEvent }, { requiredKeys: ['type', 'event'] }),
  fc.record(
    {
      type: fc.constant('publish'),
      ref: aRef,
      event: anEvent,
      stream: mostly(
        fc.constantFrom('s-1', 's-2'),
        fc.oneof(fc.constantFrom('other', '', 's-\n1'), nastyJson()),
      ),
      expectedVersion: mostly(
        fc.constantFrom('any', 'no_stream', 'stream_exists', 0, 1, 2),
        fc.oneof(fc.constantFrom(-1, 1.5, 'x'), nastyJson()),
      ),
    },
    { requiredKeys: ['type', 'event', 'stream'] },
  ),
);
/** Message types the hub does not take from a client, and values that are not a type. */
const unknown = fc.record({
  type: fc.oneof(
    fc.constantFrom(
      'ack',
      'nack',
      'event',
      'subscribed',
      'error',
      'ping',
      '',
      'SUBSCRIBE',
      '__proto__',
      'constructor',
      'toString',
    ),
    nastyString(6),
    nastyJson(),
  ),
  id: anId,
  ref: aRef,
});

/** A message object a client could send, valid or nearly. */
const aMessage = fc.oneof(
  { weight: 3, arbitrary: subscribe },
  { weight: 2, arbitrary: unsubscribe },
  { weight: 4, arbitrary: publish },
  { weight: 2, arbitrary: unknown },
  { weight: 1, arbitrary: nastyJson() },
);

/** Deep JSON: as the whole message, or in one of its fields. */
interface DeepSpec {
  depth: number;
  nesting: 'array' | 'object' | 'mixed';
  where: 'message' | 'data' | 'id' | 'patterns' | 'ref' | 'event' | 'myext' | 'lastEventId';
}
const deepSpec: fc.Arbitrary<DeepSpec> = fc.record({
  depth: fc.oneof(fc.integer({ min: 95, max: 105 }), fc.integer({ min: 0, max: 20_000 })),
  nesting: fc.constantFrom('array', 'object', 'mixed'),
  where: fc.constantFrom('message', 'data', 'id', 'patterns', 'ref', 'event', 'myext', 'lastEventId'),
});
function deepText({ depth, nesting, where }: DeepSpec): string {
  const nested = nestedJson(depth, nesting);
  switch (where) {
    case 'message':
      return nested;
    case 'data':
      return `{"type":"publish","ref":"deep","event":{"type":"fz.a","data":${nested}}}`;
    case 'myext':
      return `{"type":"publish","ref":"deep","event":{"type":"fz.a","myext":${nested}}}`;
    case 'event':
      return `{"type":"publish","ref":"deep","event":${nested}}`;
    case 'ref':
      return `{"type":"publish","ref":${nested},"event":{"type":"fz.a"}}`;
    default:
      return `{"type":"subscribe","id":${where === 'id' ? nested : '"deep"'},"${where}":${nested}}`;
  }
}

/** A message with one huge field (up to 200,000 characters; messages may have 256 KiB). */
interface HugeSpec {
  field: 'id' | 'ref' | 'pattern' | 'patterns' | 'type' | 'data' | 'stream';
  length: number;
}
const hugeSpec: fc.Arbitrary<HugeSpec> = fc.record({
  field: fc.constantFrom('id', 'ref', 'pattern', 'patterns', 'type', 'data', 'stream'),
  length: fc.integer({ min: 257, max: 200_000 }),
});
function hugeText({ field, length }: HugeSpec): string {
  const big = 'y'.repeat(length);
  switch (field) {
    case 'id':
      return JSON.stringify({ type: 'subscribe', id: big });
    case 'ref':
      return JSON.stringify({ type: 'publish', ref: big, event: { type: 'fz.a' } });
    case 'pattern':
      return JSON.stringify({ type: 'subscribe', id: 'huge', patterns: [`fz.${big}`] });
    case 'patterns':
      return JSON.stringify({
        type: 'subscribe',
        id: 'huge',
        patterns: Array<string>(length >> 3).fill('fz.>'),
      });
    case 'type':
      return JSON.stringify({ type: 'publish', ref: 'huge', event: { type: `fz.${big}` } });
    case 'data':
      return JSON.stringify({ type: 'publish', ref: 'huge', event: { type: 'fz.a', data: big } });
    case 'stream':
      return JSON.stringify({ type: 'publish', ref: 'huge', event: { type: 'fz.a' }, stream: `s-${big}` });
  }
}

/** What one frame of a sequence is. */
type Frame =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'deep'; spec: DeepSpec }
  | { kind: 'huge'; spec: HugeSpec }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'close-too-big' }
  | { kind: 'close-not-utf8' }
  | { kind: 'close-raw'; bytes: Uint8Array };

const jsonText = aMessage.map((m) => JSON.stringify(m));
const frame: fc.Arbitrary<Frame> = fc.oneof(
  {
    weight: 10,
    arbitrary: aMessage.map((value) => ({ kind: 'json' as const, value })),
  },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        nastyString(30),
        fc.constantFrom(
          '',
          ' ',
          '{',
          '[',
          'null',
          '"subscribe"',
          '{"type":"subscribe"',
          '{"type":"publish","event":{}}}',
        ),
        // JSON cut short.
        fc.tuple(jsonText, fc.nat()).map(([t, cut]) => t.slice(0, cut % (t.length + 1))),
      )
      .map((text) => ({ kind: 'text' as const, text })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 64 }),
        jsonText.map((t) => new TextEncoder().encode(t)),
      )
      .map((bytes) => ({ kind: 'binary' as const, bytes })),
  },
  { weight: 1, arbitrary: deepSpec.map((spec) => ({ kind: 'deep' as const, spec })) },
  { weight: 1, arbitrary: hugeSpec.map((spec) => ({ kind: 'huge' as const, spec })) },
);
const closing: fc.Arbitrary<Frame> = fc.oneof(
  fc.constant({ kind: 'close-too-big' as const }),
  fc.constant({ kind: 'close-not-utf8' as const }),
  fc.uint8Array({ minLength: 1, maxLength: 32 }).map((bytes) => ({ kind: 'close-raw' as const, bytes })),
);

const KNOWN_CODES = [
  'INVALID_MESSAGE',
  'INVALID_PATTERN',
  'INVALID_QUERY',
  'FORBIDDEN',
  'SUBSCRIPTION_NOT_FOUND',
  'INVALID_EVENT',
  'INVALID_TYPE',
  'INVALID_OPTION',
  'CONCURRENCY_CONFLICT',
];

// ---------------------------------------------------------------------------------------------
// The parser

/** Everything a parsed message promises its handler. */
function checkParsed(message: ClientMessage): void {
  if (message.type !== 'publish') {
    expect(typeof message.id).toBe('string');
    expect(message.id.length).toBeGreaterThanOrEqual(1);
    expect(message.id.length).toBeLessThanOrEqual(256);
  }
  switch (message.type) {
    case 'subscribe':
      expect(message.patterns === undefined || message.patterns.every((p) => typeof p === 'string')).toBe(
        true,
      );
      for (const field of [message.from, message.lastEventId]) {
        expect(field === undefined || typeof field === 'string').toBe(true);
      }
      break;
    case 'unsubscribe':
      break;
    case 'publish': {
      // The types promise these; the checks hold them to it at run time.
      const event: unknown = message.event;
      expect(typeof event === 'object' && event !== null && !Array.isArray(event)).toBe(true);
      expect(
        message.ref === undefined || typeof message.ref === 'string' || Number.isFinite(message.ref),
      ).toBe(true);
      expect(
        message.stream === undefined || (typeof message.stream === 'string' && message.stream !== ''),
      ).toBe(true);
      if (message.expectedVersion !== undefined) {
        expect(message.stream).toBeDefined();
        const v = message.expectedVersion;
        expect(
          ['any', 'no_stream', 'stream_exists'].includes(String(v)) ||
            (Number.isSafeInteger(v) && (v as number) >= 0),
        ).toBe(true);
      }
      break;
    }
  }
}

/** Runs the parser as the session does: JSON first, then the message. */
function parseOrError(raw: unknown): { message: ClientMessage } | { error: HeraldError } {
  let message: ClientMessage;
  try {
    message = parseClientMessage(raw);
  } catch (error) {
    if (!(error instanceof HeraldError))
      throw new Error(`not a HeraldError: ${String(error)}`, { cause: error });
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(httpStatusOf(error)).toBe(400);
    expect(typeof error.message).toBe('string');
    const details = error.details as { field?: unknown; value?: unknown };
    expect(typeof details.field).toBe('string');
    // Only a small scalar is echoed: the reply must not be as big (or as deep) as the input.
    if ('value' in details) {
      const v = details.value;
      expect(
        v === null || ['number', 'boolean'].includes(typeof v) || (typeof v === 'string' && v.length <= 256),
      ).toBe(true);
    }
    expect(() => JSON.stringify(error.details)).not.toThrow();
    return { error };
  }
  checkParsed(message);
  return { message };
}

function checkEcho(raw: unknown): void {
  const echo = echoOf(raw);
  expect(Object.keys(echo).every((k) => k === 'id' || k === 'ref')).toBe(true);
  if (echo.id !== undefined) expect(typeof echo.id).toBe('string');
  if (echo.ref !== undefined) expect(typeof echo.ref === 'string' || Number.isFinite(echo.ref)).toBe(true);
}

describe('parseClientMessage under fuzzing', () => {
  it('near-valid messages and any JSON value: a message that keeps its promises, or INVALID_MESSAGE', () => {
    const seen = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(aMessage, (raw) => {
        checkEcho(raw);
        const result = parseOrError(raw);
        seen['message' in result ? 'parsed' : 'refused']++;
        // What it returns it also returns from its own JSON: nothing depends on object identity.
        if ('message' in result) {
          const again = parseClientMessage(JSON.parse(JSON.stringify(raw)));
          // (JSON has no -0: the two are compared as JSON.)
          expect(JSON.stringify(again)).toBe(JSON.stringify(result.message));
        }
      }),
      fuzzParams(3_000),
    );
    expect(seen.parsed).toBeGreaterThan(300);
    expect(seen.refused).toBeGreaterThan(300);
  });

  it('arbitrary text, deep JSON and JSON cut short, parsed as the session does', () => {
    const text = fc.oneof(
      nastyString(40),
      deepSpec.map(deepText),
      hugeSpec.map(hugeText),
      jsonText,
      fc.tuple(jsonText, fc.nat()).map(([t, cut]) => t.slice(0, cut % (t.length + 1))),
    );
    fc.assert(
      fc.property(text, (t) => {
        let raw: unknown;
        try {
          raw = JSON.parse(t);
        } catch {
          return; // the session answers INVALID_MESSAGE itself
        }
        checkEcho(raw);
        parseOrError(raw);
      }),
      fuzzParams(1_500),
    );
  });

  it('any JavaScript value (BigInt, Map, typed arrays, null prototypes): a message or INVALID_MESSAGE', () => {
    const anything = fc.anything({
      withBigInt: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
    });
    const value = fc.oneof(
      anything,
      fc
        .tuple(
          fc.constantFrom('subscribe', 'unsubscribe', 'publish'),
          fc.dictionary(
            fc.constantFrom(
              'id',
              'patterns',
              'from',
              'lastEventId',
              'ref',
              'event',
              'stream',
              'expectedVersion',
            ),
            anything,
          ),
        )
        .map(([type, fields]) => ({ ...fields, type })),
    );
    fc.assert(
      fc.property(value, (raw) => {
        checkEcho(raw);
        parseOrError(raw);
      }),
      fuzzParams(1_500),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A real hub

const KEYS = [
  {
    name: 'full',
    key: 'fuzz-full-key-1',
    publish: ['>'],
    subscribe: ['>'],
    streams: ['*'],
  },
  {
    name: 'limited',
    key: 'fuzz-limited-1',
    publish: ['fz.>'],
    subscribe: ['fz.>'],
    streams: ['s-*'],
  },
];

interface Session {
  ws: WebSocket;
  received: Record<string, unknown>[];
  /** Frames that were not JSON objects (must never happen). */
  garbage: string[];
  closed: { code: number; reason: string } | undefined;
}

async function open(base: string, key: string | undefined): Promise<Session> {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`, { headers });
  const session: Session = { ws, received: [], garbage: [], closed: undefined };
  ws.on('message', (data: Buffer, isBinary) => {
    const text = data.toString('utf8');
    try {
      const parsed = JSON.parse(text) as unknown;
      if (isBinary || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        session.garbage.push(text);
      else session.received.push(parsed as Record<string, unknown>);
    } catch {
      session.garbage.push(text);
    }
  });
  ws.on('close', (code, reason) => (session.closed = { code, reason: reason.toString('utf8') }));
  // A raw write that breaks the framing makes the client's own parser fail too.
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return session;
}

/** How many replies a frame must get (1 for every message the hub reads), and which close ends it. */
function sendFrame(s: Session, f: Frame): { replies: number; closes: readonly number[] } {
  switch (f.kind) {
    case 'json':
      s.ws.send(JSON.stringify(f.value));
      return { replies: 1, closes: [] };
    case 'text':
      s.ws.send(f.text);
      return { replies: 1, closes: [] };
    case 'deep':
      s.ws.send(deepText(f.spec));
      return { replies: 1, closes: [] };
    case 'huge':
      s.ws.send(hugeText(f.spec));
      return { replies: 1, closes: [] };
    case 'binary':
      s.ws.send(f.bytes, { binary: true });
      return { replies: 1, closes: [] };
    case 'close-too-big':
      s.ws.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
      return { replies: 0, closes: [1009] };
    case 'close-not-utf8':
      // A text frame whose bytes are not UTF-8: the WebSocket library closes with 1007.
      s.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), {
        binary: false,
      });
      return { replies: 0, closes: [1007] };
    case 'close-raw': {
      // Bytes straight onto the TCP stream, outside any frame (an unmasked frame, a reserved
      // opcode, a length that never comes): a protocol error (1002), too big (1009), bad UTF-8
      // (1007), or a frame that never completes and is cut when the client goes.
      const socket = (s.ws as unknown as { _socket: Socket })._socket;
      socket.write(f.bytes);
      return { replies: 0, closes: [1002, 1006, 1007, 1009] };
    }
  }
}

const codeOf = (m: Record<string, unknown>) => m.code as string;

describe('a real hub under fuzzed WebSocket sessions', () => {
  let hub: SecurityHub;
  let position = 0;
  beforeAll(async () => {
    hub = await securityHub('sqlite', {
      auth: { keys: KEYS },
      live: {
        maxMessageBytes: MAX_MESSAGE_BYTES,
        maxSubscriptions: 4,
        closeGraceMs: 500,
      },
      shutdownGraceMs: 500,
    });
  });
  afterAll(() => hub.stop());

  it('answers every message with one defined reply or closes with a documented code; never INTERNAL', async () => {
    const stats = {
      sessions: 0,
      frames: 0,
      closed: new Map<number, number>(),
      codes: new Map<string, number>(),
      events: 0,
    };
    const sequence = fc.record({
      key: fc.constantFrom(...KEYS.map((k) => k.key)),
      frames: fc.array(frame, { minLength: 1, maxLength: 12 }),
      last: fc.option(closing, { freq: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(sequence, async ({ key, frames, last }) => {
        stats.sessions++;
        const s = await open(hub.base, key);
        try {
          let expected = 0;
          for (const f of frames) expected += sendFrame(s, f).replies;
          stats.frames += frames.length;
          // Every reply (not events) has come: the count is exact, nothing more follows.
          const replies = () => s.received.filter((m) => m.type !== 'event');
          await waitFor(() => replies().length >= expected || s.closed !== undefined, {
            message: `${expected} replies`,
          });
          expect(s.closed, JSON.stringify(s.closed)).toBeUndefined();
          await new Promise((resolve) => setTimeout(resolve, 5));
          expect(replies()).toHaveLength(expected);
          expect(s.garbage).toEqual([]);
          checkSession(s, stats);

          if (last !== null) {
            const before = s.received.length;
            const { closes } = sendFrame(s, last);
            if (last.kind === 'close-raw') {
              // Random bytes may also be the start of a frame that never ends (the hub waits for
              // the rest), or a whole valid frame: the client gives up and goes.
              await waitFor(() => s.closed !== undefined, {
                timeoutMs: 300,
              }).catch(() => s.ws.terminate());
            }
            await waitFor(() => s.closed !== undefined, {
              message: `the close after ${last.kind}`,
            });
            expect(closes, `${last.kind}: ${JSON.stringify(s.closed)}`).toContain(s.closed!.code);
            stats.closed.set(s.closed!.code, (stats.closed.get(s.closed!.code) ?? 0) + 1);
            // Nothing was answered to a frame that closes the socket.
            if (last.kind !== 'close-raw') {
              expect(s.received.slice(before).filter((m) => m.type !== 'event')).toEqual([]);
            }
          }
        } finally {
          s.ws.terminate();
        }
      }),
      fuzzParams(400),
    );

    function checkSession(s: Session, acc: typeof stats): void {
      const live = new Set<string>();
      const lastPosition = new Map<string, number>();
      for (const m of s.received) {
        switch (m.type) {
          case 'subscribed':
            expect(typeof m.id).toBe('string');
            expect(typeof m.after).toBe('number');
            live.add(m.id as string);
            // A new subscription under an id used before starts its own sequence.
            lastPosition.delete(m.id as string);
            break;
          case 'unsubscribed':
            expect(typeof m.id).toBe('string');
            break;
          case 'ack':
            expect(typeof m.position).toBe('number');
            expect(typeof m.id).toBe('string');
            position = Math.max(position, m.position as number);
            break;
          case 'event': {
            acc.events++;
            const id = m.subscription as string;
            // Only a subscription this socket made (events may trail its unsubscribe).
            expect(live.has(id), `event for ${JSON.stringify(id)}`).toBe(true);
            const p = m.position as number;
            expect(p).toBeGreaterThan(lastPosition.get(id) ?? 0);
            lastPosition.set(id, p);
            expect((m.event as { position: number }).position).toBe(p);
            break;
          }
          case 'error': {
            const code = codeOf(m);
            acc.codes.set(code, (acc.codes.get(code) ?? 0) + 1);
            expect(code).not.toBe('INTERNAL');
            expect(KNOWN_CODES, JSON.stringify(m).slice(0, 500)).toContain(code);
            expect(typeof m.message).toBe('string');
            expect(typeof m.details === 'object' && m.details !== null).toBe(true);
            break;
          }
          default:
            throw new Error(`an undefined reply: ${JSON.stringify(m).slice(0, 500)}`);
        }
      }
    }

    // The fuzz reached every corner: accepted and refused subscribes and publishes, every close.
    expect(stats.codes.get('INVALID_MESSAGE')).toBeGreaterThan(50);
    for (const code of [
      'INVALID_EVENT',
      'INVALID_TYPE',
      'INVALID_PATTERN',
      'INVALID_QUERY',
      'FORBIDDEN',
      'SUBSCRIPTION_NOT_FOUND',
    ]) {
      expect(stats.codes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    expect(position).toBeGreaterThan(20);
    expect(stats.events).toBeGreaterThan(0);
    for (const code of [1007, 1009]) expect(stats.closed.get(code) ?? 0, `close ${code}`).toBeGreaterThan(0);
  });

  it('is healthy afterwards: /healthz, and a fresh client subscribes, publishes and receives', async () => {
    const health = await fetch(`${hub.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // Every fuzzed socket is gone from the hub (none left half-closed).
    await waitFor(
      async () => (await metricValue(hub.metrics, 'herald_live_clients', { transport: 'ws' })) === 0,
      {
        message: 'no WebSocket client left',
      },
    );
    const s = await open(hub.base, KEYS[1]!.key);
    try {
      s.ws.send(
        JSON.stringify({
          type: 'subscribe',
          id: 'after',
          patterns: ['fz.after'],
        }),
      );
      await waitFor(() => s.received.some((m) => m.type === 'subscribed'));
      s.ws.send(
        JSON.stringify({
          type: 'publish',
          ref: 'after',
          event: { type: 'fz.after', data: { ok: true } },
        }),
      );
      const ack = await waitFor(() => s.received.find((m) => m.type === 'ack'));
      const event = await waitFor(() => s.received.find((m) => m.type === 'event'));
      expect(event).toMatchObject({
        subscription: 'after',
        position: ack?.position,
        event: { data: { ok: true } },
      });
      expect(s.closed).toBeUndefined();
    } finally {
      s.ws.terminate();
    }
  });
});

describe('a subscribe unsubscribed before it started (found by the fuzz)', () => {
  let hub: SecurityHub;
  beforeAll(async () => {
    hub = await securityHub('sqlite', { shutdownGraceMs: 500 });
  });
  afterAll(() => hub.stop());

  it('is answered subscribed, then unsubscribed; a failed start with its error, then unsubscribed', async () => {
    const s = await open(hub.base, undefined);
    try {
      // Sent together: the unsubscribe arrives while the subscribe waits for the log.
      s.ws.send(JSON.stringify({ type: 'subscribe', id: 'quick', from: 'end' }));
      s.ws.send(JSON.stringify({ type: 'unsubscribe', id: 'quick' }));
      s.ws.send(
        JSON.stringify({
          type: 'subscribe',
          id: 'past-end',
          lastEventId: '999999999999',
        }),
      );
      s.ws.send(
        JSON.stringify({
          type: 'subscribe',
          id: 'bad-time',
          from: '2026-02-30T00:00:00Z',
        }),
      );
      s.ws.send(JSON.stringify({ type: 'unsubscribe', id: 'bad-time' }));
      await waitFor(() => s.received.length >= 5, { message: 'five replies' });
      const replies = (id: string) => s.received.filter((m) => m.id === id).map((m) => m.type);
      expect(replies('quick')).toEqual(['subscribed', 'unsubscribed']);
      expect(replies('bad-time')).toEqual(['error', 'unsubscribed']);
      expect(s.received.find((m) => m.id === 'bad-time')).toMatchObject({
        code: 'INVALID_QUERY',
      });
      // The subscription is gone: its id can be used again, and a second unsubscribe finds nothing.
      s.ws.send(JSON.stringify({ type: 'unsubscribe', id: 'quick' }));
      await waitFor(() => s.received.some((m) => m.code === 'SUBSCRIPTION_NOT_FOUND'));
    } finally {
      s.ws.terminate();
    }
  });
});

describe('a client that reads while ten subscriptions catch up (found by the fuzz)', () => {
  let hub: SecurityHub;
  beforeAll(async () => {
    hub = await securityHub('memory', { shutdownGraceMs: 500, live: { closeGraceMs: 500 } });
    // 5 MB of events: more than the kernel's socket buffers take, so the hub's own queue grows.
    for (let i = 0; i < 5; i++) {
      await hub.log.append(
        Array.from({ length: 1_000 }, () => ({ type: 'fill.x', data: 'x'.repeat(1_000) })),
      );
    }
  });
  afterAll(() => hub.stop());

  it('is answered, not closed 1013, when the events queued pass 1 MiB', async () => {
    const s = await open(hub.base, undefined);
    try {
      // A slow link: nothing is read for a while, so every subscription's replay queues a batch.
      s.ws.pause();
      for (let i = 0; i < 10; i++)
        s.ws.send(JSON.stringify({ type: 'subscribe', id: `s${i}`, from: 'start' }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // One message: its reply waits behind some MiB of events, which the client is about to read.
      s.ws.send(JSON.stringify({ type: 'publish', ref: 'one', event: { type: 'other.x' } }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      s.ws.resume();
      await waitFor(() => s.received.some((m) => m.ref === 'one') || s.closed !== undefined, {
        timeoutMs: 20_000,
        message: 'the ack',
      });
      expect(s.closed).toBeUndefined();
      expect(s.received.find((m) => m.ref === 'one')).toMatchObject({ type: 'ack', position: 5_001 });
    } finally {
      s.ws.terminate();
    }
  });
});

describe('a subscriber that breaks the protocol (found by the fuzz)', () => {
  let hub: SecurityHub;
  beforeAll(async () => {
    hub = await securityHub('memory', {
      shutdownGraceMs: 500,
      live: { maxMessageBytes: 64 * 1024, closeGraceMs: 500 },
    });
    await hub.log.append(Array.from({ length: 2_000 }, () => ({ type: 'fill.x', data: 'x'.repeat(1_000) })));
  });
  afterAll(() => hub.stop());

  const breaches: [string, (ws: WebSocket) => void, number][] = [
    ['a message over maxMessageBytes', (ws) => ws.send('x'.repeat(70_000)), 1009],
    ['a text frame that is not UTF-8', (ws) => ws.send(Buffer.from([0xff, 0xfe]), { binary: false }), 1007],
  ];
  it.each(breaches)(
    'gets the close code for %s, not a cut connection, with events on their way',
    async (_name, breach, code) => {
      for (let round = 0; round < 5; round++) {
        const s = await open(hub.base, undefined);
        try {
          s.ws.send(JSON.stringify({ type: 'subscribe', id: 'all', from: 'start' }));
          await waitFor(() => s.received.some((m) => m.type === 'event'));
          breach(s.ws);
          await waitFor(() => s.closed !== undefined, { message: 'the close' });
          expect(s.closed!.code).toBe(code);
        } finally {
          s.ws.terminate();
        }
      }
    },
  );
});
