import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type WebSocketConstructor } from '../src/client/index.js';
import { HeraldError } from '../src/errors/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/wait-for.js';
import { publish, startHub, type TestHub } from './helpers/sse-hub.js';

/**
 * A log whose server can be taken away: while `state` is `down` every call that would reach the
 * server fails with LOG_UNREACHABLE (as the server-backed logs fail), while `raw` with a bare
 * ECONNREFUSED (as a backend that let one through would), while `hung` it never answers. The live tail (`subscribe`) stays the inner log's, as a backend's tail keeps retrying.
 */
type LogState = 'up' | 'down' | 'hung' | 'raw';

function outageLog(inner: EventLog): { log: EventLog; state: { now: LogState } } {
  const state = { now: 'up' as LogState };
  const gated = new Set(['append', 'read', 'get', 'bounds', 'group', 'groups', 'streamVersion']);
  const log = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (typeof name !== 'string' || !gated.has(name)) return fn.bind(target);
      return (...args: unknown[]) => {
        if (state.now === 'hung') return new Promise(() => undefined);
        if (state.now === 'down' || state.now === 'raw') {
          const error =
            state.now === 'down'
              ? new HeraldError('LOG_UNREACHABLE', 'test: the log server is away')
              : Object.assign(new Error('connect ECONNREFUSED 10.9.8.7:5432'), {
                  code: 'ECONNREFUSED',
                  syscall: 'connect',
                });
          if (name === 'read')
            return {
              [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
            };
          return Promise.reject(error);
        }
        return fn.apply(target, args);
      };
    },
  });
  return { log, state };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function outageHub(): Promise<TestHub & { state: { now: LogState } }> {
  const inner = memoryLog();
  const { log, state } = outageLog(inner);
  const hub = await startHub({ log, live: { retryMs: 200 } });
  cleanup.push(async () => {
    state.now = 'up';
    await hub.app.close();
    await inner.close();
  });
  return { ...hub, state };
}

describe('the hub while its log is away', () => {
  it('answers 503 LOG_UNREACHABLE with Retry-After on the routes that need the log, never a 500', async () => {
    const hub = await outageHub();
    await publish(hub.base, [{ type: 'orders.created', data: {} }]);
    hub.state.now = 'down';
    const calls: [string, RequestInit?][] = [
      [
        '/v1/events',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"a.b","data":1}' },
      ],
      ['/v1/events?types=orders.>'],
      ['/v1/groups'],
      ['/readyz'],
    ];
    for (const [path, init] of calls) {
      const res = await fetch(`${hub.base}${path}`, init);
      const body = (await res.json()) as { error: { code: string } };
      expect([path, res.status, body.error.code, res.headers.get('retry-after')]).toEqual([
        path,
        503,
        'LOG_UNREACHABLE',
        '2',
      ]);
    }
    hub.state.now = 'up';
    expect((await fetch(`${hub.base}/readyz`)).status).toBe(200);
  });

  it('answers a raw connection failure that escaped the log as 503 LOG_UNREACHABLE, not a 500', async () => {
    const hub = await outageHub();
    hub.state.now = 'raw';
    for (const [path, init] of [
      [
        '/v1/events',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"a.b"}' },
      ],
      ['/v1/events?types=orders.>'],
      ['/v1/groups'],
    ] as [string, RequestInit?][]) {
      const res = await fetch(`${hub.base}${path}`, init);
      const text = await res.text();
      expect([path, res.status, res.headers.get('retry-after')]).toEqual([path, 503, '2']);
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'LOG_UNREACHABLE' } });
      expect(text).not.toContain('10.9.8.7'); // the address stays in the server log
    }
  });

  it('answers /readyz not ready within its deadline when the log does not answer at all', async () => {
    const hub = await outageHub();
    hub.state.now = 'hung';
    const res = await fetch(`${hub.base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      error: { code: 'LOG_UNREACHABLE', details: { timeoutMs: 2000 } },
    });
  });

  it('tells an SSE client to come back instead of refusing it, and the EventSource resumes by itself', async () => {
    const hub = await outageHub();
    const [first] = await publish(hub.base, [{ type: 'orders.created', data: { n: 0 } }]);
    hub.state.now = 'down';
    // The raw answer: a 200 event stream with a retry hint, ended at once.
    const raw = await fetch(`${hub.base}/v1/sse`, { headers: { 'last-event-id': String(first) } });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await raw.text();
    expect(text).toMatch(/^retry: 200\n: herald: LOG_UNREACHABLE /);
    expect(text).not.toMatch(/^id:/m); // the client keeps its Last-Event-ID

    // A real client opened during the outage: no error it gives up on, and once the log is back
    // it reconnects by itself and gets what was published after its last event id.
    const es = new EventSource(`${hub.base}/v1/sse?lastEventId=${first}`);
    cleanup.push(() => es.close());
    const got: number[] = [];
    es.onmessage = (e) => got.push(Number(e.lastEventId));
    let opens = 0;
    es.onopen = () => void opens++;
    await waitFor(() => opens >= 2, { message: 'the EventSource did not retry during the outage' });
    expect(es.readyState).not.toBe(EventSource.CLOSED);
    hub.state.now = 'up';
    const positions = await publish(hub.base, [
      { type: 'orders.created', data: { n: 1 } },
      { type: 'orders.created', data: { n: 2 } },
    ]);
    await waitFor(() => got.length === 2, { message: 'the events after the outage' });
    expect(got).toEqual(positions);
  });

  it('keeps a herald client over WebSocket retrying a subscription the log cannot start, then resumes', async () => {
    const hub = await outageHub();
    const [first] = await publish(hub.base, [{ type: 'orders.created', data: { n: 0 } }]);
    hub.state.now = 'down';
    const client = createClient({
      url: hub.base,
      transport: 'websocket',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      retry: { initialMs: 20, maxMs: 100 },
    });
    cleanup.push(() => client.close());
    const got: number[] = [];
    const retried: string[] = [];
    const sub = client.subscribe('orders.>', (e) => void got.push(e.position!), {
      lastEventId: String(first),
      onRetry: (r) => void retried.push(r.error.message),
    });
    // Before: the hub's LOG_UNREACHABLE answer to the subscription was fatal to the client.
    await waitFor(() => retried.length >= 2, { message: 'the client did not retry during the outage' });
    expect(retried[0]).toMatch(/LOG_UNREACHABLE/);
    hub.state.now = 'up';
    const positions = await publish(hub.base, [{ type: 'orders.created', data: { n: 1 } }]);
    await waitFor(() => got.length === 1, { message: 'the event after the outage' });
    expect(got).toEqual(positions);
    sub.close();
    await sub.closed;
  });
});
