/**
 * `herald/client` with `transport: 'websocket'` against a real hub (`GET /v1/ws`, `ws`'s WebSocket
 * on Node 20): typed subscribe and iterator, resume across a hub restart on the same SQLite file,
 * lost positions, refused subscriptions with the hub's codes, and the token in the URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { WebSocket } from 'ws';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { createClient, HubError, type LostRange, type WebSocketConstructor } from '../src/client/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/wait-for.js';
import { publish, range, startHub, type TestHub } from './helpers/sse-hub.js';

type Shop = {
  'order.created': { id: string; total: number };
  'order.paid': { id: string };
};

const WS = WebSocket as unknown as WebSocketConstructor;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function hub(options: Parameters<typeof startHub>[0]): Promise<TestHub> {
  const started = await startHub({ shutdownGraceMs: 300, ...options });
  cleanup.push(async () => {
    await started.app.close();
    await options.log.close();
  });
  return started;
}

function client(base: string, token?: string) {
  const c = createClient<Shop>({
    url: base,
    transport: 'websocket',
    WebSocket: WS,
    retry: { initialMs: 20, maxMs: 200 },
    ...(token !== undefined && { token }),
  });
  cleanup.push(() => c.close());
  return c;
}

const orders = (n: number, type = 'order.created') =>
  Array.from({ length: n }, (_, i) => ({ type, data: { id: `o-${i}`, total: i } }));

describe('the WebSocket transport', () => {
  it('subscribes and iterates typed events by pattern, in order', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = client(base);
    const got: number[] = [];
    const sub = c.subscribe('order.*', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'order.created' | 'order.paid'>();
      got.push(e.position!);
    });
    await sub.ready;
    await c.publish('order.created', { id: 'o-1', total: 1 });
    await publish(base, [{ type: 'other.thing', data: {} }]);
    await c.publish('order.paid', { id: 'o-1' });
    await waitFor(() => got.length === 2);
    expect(got).toEqual([1, 3]);
    expect(sub.lastEventId).toBe('3');
    const seen: number[] = [];
    for await (const e of c.events('order.>', { from: 0 })) if (seen.push(e.position!) === 2) break;
    expect(seen).toEqual([1, 3]);
    sub.close();
    await sub.closed;
  });

  it('resumes across a hub restart on the same port and SQLite file: every event once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-client-ws-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'events.db');
    let log: EventLog = await sqliteLog({ path });
    const first = await startHub({ log, live: { retryMs: 20 }, shutdownGraceMs: 300 });
    const { port, base } = first;
    const c = client(base);
    const got: number[] = [];
    const iterated: number[] = [];
    const sub = c.subscribe('order.>', (e) => void got.push(e.position!));
    const stream = c.events('order.>');
    await Promise.all([sub.ready, stream.ready]);
    const reading = (async () => {
      for await (const e of stream) if (iterated.push(e.position!) === 12) break;
    })();
    await publish(base, orders(5));
    await waitFor(() => got.length === 5 && iterated.length === 5);
    await first.app.close();
    await log.close();
    log = await sqliteLog({ path });
    await log.append(orders(3));
    const second = await hub({ log, port, live: { retryMs: 20 } });
    await publish(second.base, orders(4));
    await waitFor(() => got.length === 12 && iterated.length === 12, { message: 'twelve events' });
    await reading;
    expect(got).toEqual(range(1, 12));
    expect(iterated).toEqual(range(1, 12));
  });

  it('a loop that stalls: past 1,000 undelivered events the client closes the socket and resumes, losing nothing', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = client(base);
    let reopened = 0;
    const stream = c.events('order.>', {
      buffer: 4,
      onOpen: (info) => void (info.reconnected && reopened++),
    });
    await stream.ready;
    const total = 2_500;
    for (let i = 0; i < total / 250; i++) await publish(base, orders(250));
    // Let the socket bring them all in while the loop reads nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen: number[] = [];
    for await (const e of stream) if (seen.push(e.position!) === total) break;
    expect(seen).toEqual(range(1, total));
    expect(reopened).toBeGreaterThanOrEqual(1);
  });

  it('reports positions lost to retention and continues after them', async () => {
    const log = memoryLog({ retention: { maxEvents: 5 } });
    const { base } = await hub({ log });
    await publish(base, orders(10));
    await log.applyRetention();
    const c = client(base);
    const lost: LostRange[] = [];
    const seen: number[] = [];
    for await (const e of c.events('order.>', { lastEventId: 2, onLost: (l) => lost.push(l) })) {
      if (seen.push(e.position!) === 5) break;
    }
    expect(lost).toEqual([{ from: 3, to: 5 }]);
    expect(seen).toEqual(range(6, 10));
  });

  it('sends the token as access_token; a refused subscription is a HubError with the hub code', async () => {
    const { base } = await hub({
      log: memoryLog(),
      auth: { keys: [{ name: 'shop', key: 'shop-key-123', publish: ['order.*'], subscribe: ['order.>'] }] },
    });
    const c = client(base, 'shop-key-123');
    const got: number[] = [];
    const sub = c.subscribe('order.>', (e) => void got.push(e.position!));
    await sub.ready;
    await c.publish('order.paid', { id: 'x' });
    await waitFor(() => got.length === 1);
    const refused = c.events('payments.>' as 'order.>');
    const error = await refused.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    const bad = c.events('order..x' as 'order.>');
    await expect(bad.next()).rejects.toMatchObject({ code: 'INVALID_PATTERN', status: 400 });
  });

  it('a hub that cannot be reached: retried with backoff, then given up after maxAttempts', async () => {
    const { base, app } = await startHub({ log: memoryLog() });
    await app.close();
    const c = createClient<Shop>({
      url: base,
      transport: 'websocket',
      WebSocket: WS,
      retry: { initialMs: 5, maxMs: 20, maxAttempts: 2 },
    });
    const attempts: number[] = [];
    const stream = c.events('order.>', { onRetry: (r) => attempts.push(r.attempt) });
    await expect(stream.next()).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
    expect(attempts).toEqual([1, 2]);
  });
});
