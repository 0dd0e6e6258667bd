import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { principal } from '../src/server/auth/principal.js';
import { waitFor } from '../src/testing/wait-for.js';
import { metricValue, publish, range, startHub, type TestHub } from './helpers/sse-hub.js';
import { parseSse } from './helpers/sse-parser.js';
import { rawSse } from './helpers/sse-raw.js';
import { openSse, type SseStream } from './helpers/sse-stream.js';

// Every test runs a real listening hub and real clients: the `eventsource` package, fetch
// streams parsed by the WHATWG-conformant test parser, and bare TCP sockets.
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function hub(options: Parameters<typeof startHub>[0]): Promise<TestHub> {
  const started = await startHub(options);
  cleanup.push(async () => {
    await started.app.close();
    await options.log.close();
  });
  return started;
}

async function stream(url: string, headers?: Record<string, string>): Promise<SseStream> {
  const s = await openSse(url, headers);
  cleanup.push(() => s.close());
  return s;
}

function eventSource(url: string): EventSource {
  const es = new EventSource(url);
  cleanup.push(() => es.close());
  return es;
}

const orders = (n: number, type = 'orders.created') =>
  Array.from({ length: n }, (_, i) => ({ type, data: { n: i } }));

describe('GET /v1/sse', () => {
  it('delivers events POSTed over HTTP to an EventSource in order, with id = position and the stored event as data', async () => {
    const { base } = await hub({ log: memoryLog() });
    const es = eventSource(`${base}/v1/sse`);
    const got: MessageEvent[] = [];
    // Unnamed by default: the onmessage every tutorial uses receives them.
    es.onmessage = (e) => got.push(e);
    await new Promise((resolve) => (es.onopen = resolve));
    const positions = await publish(base, orders(5));
    await waitFor(() => got.length === 5, { message: 'five events' });
    expect(got.map((e) => Number(e.lastEventId))).toEqual(positions);
    for (const [i, e] of got.entries()) {
      const event = JSON.parse(e.data as string);
      expect(event).toMatchObject({ type: 'orders.created', data: { n: i }, position: positions[i] });
      expect(event).toEqual(await (await fetch(`${base}/v1/events/${event.id}`)).json());
    }
  });

  it('answers with the SSE headers, a retry hint and an id to resume from before any event', async () => {
    const { base } = await hub({ log: memoryLog(), live: { retryMs: 1234 } });
    await publish(base, orders(2));
    const s = await stream(`${base}/v1/sse`);
    expect(s.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(s.response.headers.get('cache-control')).toContain('no-cache');
    expect(s.response.headers.get('x-accel-buffering')).toBe('no');
    expect(s.response.headers.get('x-request-id')).toBeTruthy();
    await waitFor(() => s.retry.length === 1);
    expect(s.retry).toEqual([1234]);
    expect(s.lastEventId()).toBe('2');
  });

  it('keeps the CORS and security headers of the hub on the stream', async () => {
    const log = memoryLog({ retention: { maxEvents: 1 } });
    const { base } = await hub({ log, cors: { origins: ['https://app.example'] } });
    await publish(base, orders(3));
    await log.applyRetention();
    const s = await stream(`${base}/v1/sse`, { origin: 'https://app.example', 'last-event-id': '0' });
    expect(s.response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(s.response.headers.get('access-control-expose-headers')).toContain('herald-events-lost');
    expect(s.response.headers.get('herald-events-lost')).toBe('1-2');
    expect(s.response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends only the types asked for', async () => {
    const { base } = await hub({ log: memoryLog() });
    const s = await stream(`${base}/v1/sse?types=orders.>,payments.*&named=true`);
    await publish(base, [
      { type: 'orders.created' },
      { type: 'orders' },
      { type: 'payments.card.done' },
      { type: 'payments.done' },
      { type: 'orders.eu.created' },
      { type: 'users.created' },
    ]);
    await waitFor(() => s.events.length === 3);
    await publish(base, [{ type: 'orders.last' }]);
    await waitFor(() => s.events.length === 4);
    expect(s.events.map((e) => e.type)).toEqual([
      'orders.created',
      'payments.done',
      'orders.eu.created',
      'orders.last',
    ]);
  });

  it('starts from start, a position, a time, or the end', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, orders(3));
    const [third] = (
      (await (await fetch(`${base}/v1/events?after=2`)).json()) as { events: { recordedat: string }[] }
    ).events;
    // A time strictly between the third and fourth events' recordedat (millisecond clock).
    await waitFor(() => Date.now() > Date.parse(third!.recordedat));
    const middle = new Date().toISOString();
    await waitFor(() => Date.now() > Date.parse(middle));
    await publish(base, orders(3));
    const fromStart = await stream(`${base}/v1/sse?from=start`);
    const fromPosition = await stream(`${base}/v1/sse?from=5`);
    const fromTime = await stream(`${base}/v1/sse?from=${encodeURIComponent(middle)}`);
    const fromEnd = await stream(`${base}/v1/sse?from=end`);
    await publish(base, orders(1));
    await waitFor(() => fromStart.events.length === 7 && fromEnd.events.length === 1);
    await waitFor(() => fromPosition.events.length === 3 && fromTime.events.length === 4);
    expect(fromStart.positions()).toEqual(range(1, 7));
    expect(fromPosition.positions()).toEqual([5, 6, 7]);
    expect(fromTime.positions()).toEqual([4, 5, 6, 7]);
    expect(fromEnd.positions()).toEqual([7]);
  });

  it('resumes with the Last-Event-ID header or the lastEventId parameter with exactly the events after it', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, orders(10));
    const header = await stream(`${base}/v1/sse?from=start`, { 'last-event-id': '4' });
    const query = await stream(`${base}/v1/sse?lastEventId=7`);
    await waitFor(() => header.events.length === 6 && query.events.length === 3);
    await publish(base, orders(2));
    await waitFor(() => header.events.length === 8 && query.events.length === 5);
    expect(header.positions()).toEqual(range(5, 12));
    expect(query.positions()).toEqual(range(8, 12));
  });

  for (const live of [{ ringSize: 8 }, { ringBytes: 1 }]) {
    it(`replays history beyond its ring (${JSON.stringify(live)}) from the log and switches to live with no gap or duplicate`, async () => {
      const { base } = await hub({ log: memoryLog(), live });
      await publish(base, orders(600));
      const s = await stream(`${base}/v1/sse?from=start`);
      // Publishers keep going while the client replays.
      for (let i = 0; i < 30; i++) await publish(base, orders(10));
      await waitFor(() => s.events.length >= 900, { message: 'all 900 events' });
      expect(s.positions()).toEqual(range(1, 900));
    });
  }

  it('starts at the end when Last-Event-ID is past the end of the log (a replaced log), and says so', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, orders(3));
    const s = await stream(`${base}/v1/sse`, { 'last-event-id': '999' });
    await publish(base, orders(1));
    await waitFor(() => s.events.length === 1);
    expect(s.positions()).toEqual([4]);
    expect(s.comments).toContain(
      'herald: Last-Event-ID 999 is past the end of the log (3); starting at the end',
    );
  });

  it('resumes across a hub restart on the same SQLite file: the EventSource reconnects with Last-Event-ID by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-sse-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'events.db');
    let log: EventLog = await sqliteLog({ path });
    let first: TestHub | undefined = await startHub({ log, live: { retryMs: 20 } });
    const { port, base } = first;
    const es = eventSource(`${base}/v1/sse?types=orders.>`);
    const got: number[] = [];
    es.onmessage = (e) => got.push(Number(e.lastEventId));
    await new Promise((resolve) => (es.onopen = resolve));
    await publish(base, orders(5));
    await waitFor(() => got.length === 5);
    await first.app.close();
    await log.close();
    first = undefined;
    log = await sqliteLog({ path });
    // Published while no hub serves the client: it must get these too.
    await log.append(orders(3));
    const second = await hub({ log, port, live: { retryMs: 20 } });
    await publish(second.base, orders(4));
    await waitFor(() => got.length === 12, { message: 'twelve events after the restart' });
    expect(got).toEqual(range(1, 12));
  });

  it('says which positions retention deleted in Herald-Events-Lost and continues from the oldest kept', async () => {
    const log = memoryLog({ retention: { maxEvents: 5 } });
    const { base } = await hub({ log });
    await publish(base, orders(10));
    await log.applyRetention();
    const s = await stream(`${base}/v1/sse`, { 'last-event-id': '2' });
    expect(s.response.headers.get('herald-events-lost')).toBe('3-5');
    await waitFor(() => s.events.length === 5);
    expect(s.positions()).toEqual(range(6, 10));
    expect(s.comments.some((c) => c.includes('3-5 are no longer in the log'))).toBe(true);
    const kept = await stream(`${base}/v1/sse`, { 'last-event-id': '5' });
    expect(kept.response.headers.get('herald-events-lost')).toBeNull();
  });

  it('disconnects a client that stopped reading, with a comment saying why, while others and publishers go on; it resumes without loss', async () => {
    const { base, port, metrics } = await hub({
      log: memoryLog(),
      live: { maxBacklog: 20, closeGraceMs: 30_000 },
    });
    const fast = await stream(`${base}/v1/sse?from=start`);
    const slow = await rawSse(port, '/v1/sse?from=start');
    cleanup.push(() => void slow.socket.destroy());
    const big = 'x'.repeat(64 * 1024);
    let last = 0;
    for (let i = 0; i < 2_000; i++) {
      last = (await publish(base, [{ type: 'orders.created', data: { i, big } }]))[0]!;
      if (
        (await metricValue(metrics, 'herald_live_disconnects_total', { transport: 'sse', reason: 'slow' })) >
        0
      )
        break;
    }
    expect(await metricValue(metrics, 'herald_live_disconnects_total', { reason: 'slow' })).toBe(1);
    await waitFor(() => fast.events.length === last, { message: 'the fast client got every event' });
    expect(fast.positions()).toEqual(range(1, last));

    const { head, body } = await slow.readAll();
    expect(head).toMatch(/^HTTP\/1.1 200/);
    const before = parseSse(body);
    expect(before.comments.at(-1)).toMatch(
      /^herald: disconnected, \d+ events behind; reconnect with Last-Event-ID$/,
    );
    const lastSeen = Number(before.events.at(-1)!.lastEventId);
    expect(before.events.map((e) => Number(e.lastEventId))).toEqual(range(1, lastSeen));
    expect(lastSeen).toBeLessThan(last);
    const resumed = await stream(`${base}/v1/sse`, { 'last-event-id': String(lastSeen) });
    await waitFor(() => resumed.events.length === last - lastSeen);
    expect(resumed.positions()).toEqual(range(lastSeen + 1, last));
  });

  it('refuses a pattern outside the caller grants with 403 and filters every event by them', async () => {
    const { base } = await hub({
      log: memoryLog(),
      setup: (app) =>
        app.addHook('onRequest', (request, _reply, done) => {
          request.principal = principal({ id: 't', subscribe: ['orders.*'], publish: ['>'] });
          done();
        }),
    });
    const forbidden = await fetch(`${base}/v1/sse?types=payments.>`);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      error: { code: 'FORBIDDEN', details: { pattern: 'payments.>' } },
    });
    const wide = await fetch(`${base}/v1/sse?types=orders.>`);
    expect(wide.status).toBe(403);
    await publish(base, [
      { type: 'orders.created' },
      { type: 'payments.done' },
      { type: 'orders.eu.created' },
    ]);
    const s = await stream(`${base}/v1/sse?from=start`);
    await publish(base, [{ type: 'payments.done' }, { type: 'orders.paid' }]);
    await waitFor(() => s.events.length === 2);
    expect(s.events.map((e) => (JSON.parse(e.data) as { type: string }).type)).toEqual([
      'orders.created',
      'orders.paid',
    ]);
  });

  it('answers a malformed request with 400 before streaming', async () => {
    const { base } = await hub({ log: memoryLog() });
    const cases: [string, Record<string, string>, string, string][] = [
      ['?types=orders.>.x', {}, 'INVALID_PATTERN', 'pattern'],
      ['?from=yesterday', {}, 'INVALID_QUERY', 'parameter'],
      ['', { 'last-event-id': 'abc' }, 'INVALID_QUERY', 'parameter'],
      ['?named=maybe', {}, 'INVALID_QUERY', 'parameter'],
    ];
    for (const [query, headers, code, detail] of cases) {
      const res = await fetch(`${base}/v1/sse${query}`, { headers });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; details: Record<string, unknown> } };
      expect(body.error.code).toBe(code);
      expect(body.error.details[detail]).toBeDefined();
    }
  });

  it('sends keep-alive comments that carry the position reached', async () => {
    const { base } = await hub({ log: memoryLog(), live: { keepAliveMs: 10 } });
    const s = await stream(`${base}/v1/sse?types=orders.>`);
    await publish(base, [{ type: 'users.created' }, { type: 'users.created' }]);
    await waitFor(() => s.comments.includes('keep-alive') && s.lastEventId() === '2');
    expect(s.events).toEqual([]);
  });

  it('leaves out event: by default (and with named=false) so onmessage gets every type', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, [{ type: 'a.b' }, { type: 'c.d' }]);
    for (const query of ['', '&named=false', '&named=0']) {
      const es = eventSource(`${base}/v1/sse?from=start${query}`);
      const got: string[] = [];
      es.onmessage = (e) => got.push(JSON.parse(e.data as string).type as string);
      await waitFor(() => got.length === 2);
      expect(got).toEqual(['a.b', 'c.d']);
      es.close();
    }
    const raw = await stream(`${base}/v1/sse?from=start`);
    await waitFor(() => raw.events.length === 2);
    expect(raw.events.map((e) => e.type)).toEqual(['message', 'message']);
  });

  it('names each event by its type with named=true, for addEventListener(type)', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, [{ type: 'a.b' }, { type: 'c.d' }]);
    const es = eventSource(`${base}/v1/sse?from=start&named=true`);
    const got: string[] = [];
    let unnamed = 0;
    es.onmessage = () => unnamed++;
    es.addEventListener('a.b', (e) => got.push(`a.b ${e.lastEventId}`));
    es.addEventListener('c.d', (e) => got.push(`c.d ${e.lastEventId}`));
    await waitFor(() => got.length === 2);
    expect(got).toEqual(['a.b 1', 'c.d 2']);
    expect(unnamed).toBe(0);
  });

  it('on app.close() tells every client to come back with retry: and ends the streams', async () => {
    const log = memoryLog();
    const { app, base, metrics } = await startHub({ log, live: { retryMs: 500 } });
    cleanup.push(() => log.close());
    const streams = [await stream(`${base}/v1/sse`), await stream(`${base}/v1/sse?types=x.>`)];
    await app.close();
    await waitFor(() => streams.every((s) => s.ended()));
    for (const s of streams) {
      expect(s.retry.length).toBe(2);
      expect(s.retry[1]).toBeGreaterThanOrEqual(500);
      expect(s.retry[1]).toBeLessThan(1000);
      expect(s.comments.at(-1)).toBe('herald: the hub is shutting down; reconnect with Last-Event-ID');
    }
    expect(await metricValue(metrics, 'herald_live_disconnects_total', { reason: 'shutdown' })).toBe(2);
  });
});
