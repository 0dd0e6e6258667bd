/**
 * `app.close()` is not held by connections that carry no request: once the live clients are told
 * to go and the requests in flight are answered, it returns and the server has no connection left.
 * The grace is 60 s and each test has 20 s: a close that waits for the grace fails by timeout.
 *
 * What used to hold it: after a fetch (undici) aborts a streaming response, undici opens a new
 * connection to the hub and sends nothing on it. Node's `closeIdleConnections()` (called by
 * `server.close()`) does not count a connection that never sent a request as idle, so the close
 * waited for the grace.
 */
import { connect, type Socket } from 'node:net';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../src/backends/memory/index.js';
import { waitFor } from '../src/testing/wait-for.js';
import { metricValue, startHub, type TestHub } from './helpers/sse-hub.js';

const GRACE = { shutdownGraceMs: 60_000 };
const SECRET = 'a server-close HS256 secret long enough';
const ADMIN = 'admin-key-123';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Every socket the hub accepted. */
function accepted(hub: TestHub): Socket[] {
  const sockets: Socket[] = [];
  hub.app.server.on('connection', (socket: Socket) => sockets.push(socket));
  return sockets;
}

async function connections(hub: TestHub): Promise<number> {
  return new Promise((resolve, reject) =>
    hub.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** Closes the hub: returns only if nothing holds the close for the grace. */
async function closeHub(hub: TestHub, sockets: readonly Socket[]): Promise<void> {
  await hub.app.close();
  expect(await connections(hub)).toBe(0);
  expect(sockets.filter((s) => !s.destroyed).map((s) => s.remotePort)).toEqual([]);
}

describe('closing the hub does not wait for connections with no request', () => {
  it('after a fetch aborts its SSE stream (undici opens a connection it never uses)', async () => {
    const log = memoryLog();
    cleanup.push(() => log.close());
    const hub = await startHub({ log, ...GRACE });
    const sockets = accepted(hub);
    const abort = new AbortController();
    const res = await fetch(`${hub.base}/v1/sse`, { signal: abort.signal });
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    expect(await metricValue(hub.metrics, 'herald_live_clients', { transport: 'sse' })).toBe(1);
    abort.abort();
    await waitFor(
      async () => (await metricValue(hub.metrics, 'herald_live_clients', { transport: 'sse' })) === 0,
      {
        message: 'the hub saw the stream go',
      },
    );
    await waitFor(() => sockets[0]!.destroyed, { message: 'the stream socket closed' });
    // Whatever is still open carries no request (undici's spare connection, if it opened one).
    expect(sockets.filter((s) => !s.destroyed).every((s) => s.bytesRead === 0)).toBe(true);
    await closeHub(hub, sockets);
  }, 20_000);

  it('with a bare TCP connection that never sent a byte, and idle keep-alive connections', async () => {
    const log = memoryLog();
    cleanup.push(() => log.close());
    const hub = await startHub({ log, ...GRACE });
    const sockets = accepted(hub);
    const health = await fetch(`${hub.base}/healthz`);
    expect(health.status).toBe(200);
    await health.text();
    const silent = connect(hub.port, '127.0.0.1');
    cleanup.push(() => silent.destroy());
    silent.on('error', () => {});
    await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
    await waitFor(() => sockets.length === 2, { message: 'the hub accepted both' });
    await closeHub(hub, sockets);
  }, 20_000);

  it('drains a request in flight, then closes its keep-alive connection', async () => {
    const log = memoryLog();
    cleanup.push(() => log.close());
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const hub = await startHub({
      log,
      ...GRACE,
      setup: (app) =>
        app.get('/test/slow', async () => {
          started();
          await new Promise((resolve) => setTimeout(resolve, 300));
          return { ok: true };
        }),
    });
    const sockets = accepted(hub);
    const slow = fetch(`${hub.base}/test/slow`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    await running;
    await closeHub(hub, sockets);
    expect(await slow).toEqual({ status: 200, body: { ok: true } });
  }, 20_000);

  it('after the hub closed one WebSocket (4401) and a client terminated another', async () => {
    const log = memoryLog();
    cleanup.push(() => log.close());
    const hub = await startHub({
      log,
      auth: { keys: [{ name: 'admin', key: ADMIN, admin: true }], jwt: { secret: SECRET } },
      ...GRACE,
    });
    const sockets = accepted(hub);
    const token = await new SignJWT({ subscribe: ['live.>'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 1)
      .sign(new TextEncoder().encode(SECRET));
    const open = async (bearer: string) => {
      const ws = new WebSocket(`${hub.base.replace('http', 'ws')}/v1/ws`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      cleanup.push(() => ws.terminate());
      let code: number | undefined;
      ws.on('close', (c) => (code = c));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      return { ws, code: () => code };
    };
    const expiring = await open(token);
    const keyed = await open(ADMIN);
    await waitFor(() => expiring.code() !== undefined, { timeoutMs: 5_000, message: 'the 4401 close' });
    expect(expiring.code()).toBe(4401);
    keyed.ws.terminate();
    await waitFor(
      async () => (await metricValue(hub.metrics, 'herald_live_clients', { transport: 'ws' })) === 0,
      {
        message: 'the hub saw both sockets go',
      },
    );
    await closeHub(hub, sockets);
  }, 20_000);
});
