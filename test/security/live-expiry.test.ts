/**
 * Live connections do not outlive their credentials: an SSE stream or WebSocket opened with a JWT
 * ends at the token's `exp` (SSE: the response ends with a comment saying why; WebSocket: close
 * 4401), delivers nothing after it and accepts no publish; a connection on an API key (no expiry)
 * stays open.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../../src/backends/memory/index.js';
import type { EventLog } from '../../src/log/types.js';
import { waitFor } from '../../src/testing/wait-for.js';
import { metricValue, startHub, type TestHub } from '../helpers/sse-hub.js';
import { openSse } from '../helpers/sse-stream.js';
import { bearer, send } from './helpers/http.js';

const SECRET = 'a live-expiry HS256 secret long enough';
const ADMIN = 'admin-key-123';
let hub: TestHub;
let log: EventLog;

/** A JWT that may read and publish `live.>` and expires `seconds` from now. */
const expiring = (seconds: number) =>
  new SignJWT({ subscribe: ['live.>'], publish: ['live.>'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(SECRET));

beforeAll(async () => {
  log = memoryLog();
  hub = await startHub({
    log,
    auth: { keys: [{ name: 'admin', key: ADMIN, admin: true }], jwt: { secret: SECRET } },
    // The clients' sockets may still be closing when the file ends: cut them sooner at close.
    live: { closeGraceMs: 500 },
    shutdownGraceMs: 1_000,
  });
});
afterAll(async () => {
  await hub.app.close();
  await log.close();
});

interface Ws {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: () => { code: number; reason: string } | undefined;
}

async function openWs(token: string): Promise<Ws> {
  const ws = new WebSocket(`${hub.base.replace('http', 'ws')}/v1/ws`, { headers: bearer(token) });
  const messages: Record<string, unknown>[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on('message', (data: Buffer) =>
    messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>),
  );
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString('utf8') }));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, messages, closed: () => closed };
}

describe('live connections end when their credentials expire', () => {
  it('ends an SSE stream at the JWT exp, says why, and sends nothing after it', async () => {
    const token = await expiring(2);
    const stream = await openSse(`${hub.base}/v1/sse?types=live.>`, bearer(token));
    const keyed = await openSse(`${hub.base}/v1/sse?types=live.>`, bearer(ADMIN));
    expect((await send(`${hub.base}/v1/events`, { type: 'live.before', data: 1 }, ADMIN)).status).toBe(201);
    await waitFor(() => stream.events.length === 1, { message: 'the event before expiry' });
    await waitFor(() => stream.ended(), { timeoutMs: 10_000, message: 'the SSE stream ending at exp' });
    expect(stream.comments.some((c) => c.includes('the credentials expired'))).toBe(true);
    expect((await send(`${hub.base}/v1/events`, { type: 'live.after', data: 2 }, ADMIN)).status).toBe(201);
    // The API key's stream (no expiry) is still open and gets the later event; the ended one not.
    await waitFor(() => keyed.events.length === 2, { message: 'the keyed stream got both events' });
    expect(keyed.ended()).toBe(false);
    expect(stream.events.map((e) => (JSON.parse(e.data) as { type: string }).type)).toEqual(['live.before']);
    expect(
      await metricValue(hub.metrics, 'herald_live_disconnects_total', {
        transport: 'sse',
        reason: 'expired',
      }),
    ).toBe(1);
    // Reconnecting with the same token is refused; the client needs a fresh one.
    const again = await fetch(`${hub.base}/v1/sse?types=live.>`, { headers: bearer(token) });
    expect(again.status).toBe(401);
    await again.body?.cancel();
    keyed.close();
  });

  it('closes a WebSocket with 4401 at the JWT exp; it delivers and accepts nothing after', async () => {
    const token = await expiring(2);
    const c = await openWs(token);
    const keyed = await openWs(ADMIN);
    c.ws.send(JSON.stringify({ type: 'subscribe', id: 's', patterns: ['live.>'], from: 'end' }));
    keyed.ws.send(JSON.stringify({ type: 'subscribe', id: 's', patterns: ['live.>'], from: 'end' }));
    await waitFor(() => c.messages.some((m) => m.type === 'subscribed'), { message: 'subscribed' });
    await waitFor(() => keyed.messages.some((m) => m.type === 'subscribed'), { message: 'subscribed' });
    c.ws.send(JSON.stringify({ type: 'publish', ref: 1, event: { type: 'live.ws-before', data: 1 } }));
    await waitFor(() => c.messages.some((m) => m.type === 'ack'), { message: 'the publish before expiry' });
    await waitFor(() => c.closed(), { timeoutMs: 10_000, message: 'the socket closing at exp' });
    expect(c.closed()).toEqual({
      code: 4401,
      reason: 'herald: the credentials expired; reconnect with a fresh token',
    });
    const before = (await log.bounds()).last;
    expect((await send(`${hub.base}/v1/events`, { type: 'live.ws-after', data: 2 }, ADMIN)).status).toBe(201);
    await waitFor(() => keyed.messages.filter((m) => m.type === 'event').length === 2, {
      message: 'the keyed socket got both events',
    });
    expect(keyed.closed()).toBeUndefined();
    const events = c.messages
      .filter((m) => m.type === 'event')
      .map((m) => (m.event as { type: string }).type);
    expect(events).toEqual(['live.ws-before']);
    expect((await log.bounds()).last - before).toBe(1);
    expect(
      await metricValue(hub.metrics, 'herald_live_disconnects_total', { transport: 'ws', reason: 'expired' }),
    ).toBe(1);
    keyed.ws.terminate();
  });
});
