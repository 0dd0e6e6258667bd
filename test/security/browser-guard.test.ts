/**
 * A hub on loopback without auth trusts whoever reaches it, so it must not be reachable by a page
 * on another site in the operator's browser: foreign origins (WebSocket, state-changing requests,
 * CORS reads), DNS-rebound host names and CORS-simple POSTs are refused. Pages on loopback origins
 * (another local app, a dev server) are served like local processes: CORS reads, writes and
 * WebSockets, only while the hub listens on loopback without auth or `cors` (docs/security.md).
 * Raw requests check each rule; headless Chromium checks that a real attacking page gets nowhere
 * while a page the hub serves itself still works.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../../src/backends/memory/index.js';
import type { EventLog } from '../../src/log/types.js';
import { createServer } from '../../src/server/index.js';
import { startHub, type TestHub } from '../helpers/sse-hub.js';
import { raw } from './helpers/http.js';

const CHROMIUM = '/usr/bin/chromium';
let hub: TestHub;
let log: EventLog;

/** A group holding one dead letter, so a successful purge would show. */
async function deadLetterGroup(name: string): Promise<void> {
  const [appended] = await log.append([{ type: 'guard.a', data: {} }]);
  const group = await log.group(name, { startAt: appended!.position, maxDeliveries: 1 });
  const [delivery] = await group.pull({ max: 1 });
  await delivery!.nack({ error: 'failed' });
}
const deadLetters = async (name: string) => (await (await log.group(name)).info()).deadLetters;

const PAGE = (script: string) =>
  `<!doctype html><meta charset="utf-8"><title>guard</title><script src="${script}"></script>`;

beforeAll(async () => {
  log = memoryLog();
  hub = await startHub({
    log,
    setup: (app) => {
      // A page the hub serves itself: same origin, so it may publish and open a WebSocket.
      app.get('/test/own', (_q, reply) => reply.type('text/html').send(PAGE('/test/own.js')));
      app.get('/test/own.js', (_q, reply) =>
        reply.type('text/javascript').send(`
          window.result = {};
          fetch('/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ type: 'guard.own', data: {} }) })
            .then((r) => { window.result.post = r.status; });
          const ws = new WebSocket('ws://' + location.host + '/v1/ws');
          ws.onopen = () => ws.send(JSON.stringify({ type: 'publish', ref: 1, event: { type: 'guard.ownws' } }));
          ws.onmessage = (m) => { window.result.ws = JSON.parse(m.data).type; };`),
      );
    },
  });
});
afterAll(async () => {
  await hub.app.close();
  await log.close();
});

describe('Host (DNS rebinding)', () => {
  it.each([
    ['rebind.evil.example', 421],
    ['rebind.evil.example:80', 421],
    ['localhost', 200],
    ['app.localhost:4021', 200],
    ['127.0.0.1:4021', 200],
    ['[::1]:4021', 200],
    ['10.1.2.3', 200],
  ])('Host %s answers %i on a hub without auth', async (host, status) => {
    const reply = await raw(hub.port, { path: '/v1/events', headers: { host } });
    expect(reply.status).toBe(status);
    if (status === 421) expect(reply.body.error.code).toBe('HOST_NOT_ALLOWED');
  });

  it('answers configured names, and any name once auth is on', async () => {
    const named = await startHub({ log: memoryLog(), hosts: ['hub.internal', '.corp.example'] });
    const authed = await startHub({
      log: memoryLog(),
      auth: { keys: [{ name: 'k', key: 'k-12345678', admin: true }] },
    });
    try {
      for (const [host, status] of [
        ['hub.internal', 200],
        ['a.b.corp.example', 200],
        ['corp.example', 200],
        ['evilcorp.example', 421],
        ['hub.internal.evil.example', 421],
      ] as const) {
        expect((await raw(named.port, { path: '/healthz', headers: { host } })).status).toBe(status);
      }
      const any = await raw(authed.port, {
        path: '/v1/events',
        headers: { host: 'hub.anything.example', authorization: 'Bearer k-12345678' },
      });
      expect(any.status).toBe(200);
    } finally {
      await named.app.close();
      await authed.app.close();
    }
  });
});

describe('Origin and CORS-simple requests', () => {
  it('refuses a foreign Origin on state-changing requests, and the hub’s own origin passes', async () => {
    await deadLetterGroup('origin-purge');
    const foreign = await raw(hub.port, {
      method: 'POST',
      path: '/v1/groups/origin-purge/dead-letters/purge',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
    const opaque = await raw(hub.port, {
      method: 'POST',
      path: '/v1/events',
      headers: { origin: 'null', 'content-type': 'application/json' },
      body: '{"type":"guard.null"}',
    });
    expect(opaque.status).toBe(403);
    expect(await deadLetters('origin-purge')).toBe(1);
    const own = await raw(hub.port, {
      method: 'POST',
      path: '/v1/events',
      headers: { origin: `http://127.0.0.1:${hub.port}`, 'content-type': 'application/json' },
      body: '{"type":"guard.own"}',
    });
    expect(own.status).toBe(201);
    // Reads carry no state change: a foreign Origin on a GET is left to CORS.
    expect(
      (await raw(hub.port, { path: '/v1/events', headers: { origin: 'https://evil.example' } })).status,
    ).toBe(200);
  });

  it.each([
    ['no content type, no body', {}, undefined],
    ['text/plain', { 'content-type': 'text/plain' }, '{}'],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'positions=1'],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
  ])('refuses a CORS-simple POST (%s) with 415, changing nothing', async (_name, headers, body) => {
    await deadLetterGroup('simple-purge');
    const before = await deadLetters('simple-purge');
    const reply = await raw(hub.port, {
      method: 'POST',
      path: '/v1/groups/simple-purge/dead-letters/purge',
      headers,
      ...(body !== undefined && { body }),
    });
    expect(reply.status).toBe(415);
    expect(reply.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await deadLetters('simple-purge')).toBe(before);
  });

  it('accepts curl’s JSON POST and a binary-mode CloudEvent with a text body', async () => {
    const json = await raw(hub.port, {
      method: 'POST',
      path: '/v1/events',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"guard.curl"}',
    });
    expect(json.status).toBe(201);
    const binary = await raw(hub.port, {
      method: 'POST',
      path: '/v1/events',
      headers: {
        'content-type': 'text/plain',
        'ce-specversion': '1.0',
        'ce-id': 'guard-binary-1',
        'ce-source': 'test',
        'ce-type': 'guard.binary',
      },
      body: 'hello',
    });
    expect(binary.status).toBe(201);
  });

  it('refuses a WebSocket upgrade from a foreign origin and takes one from its own', async () => {
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/v1/ws`, { origin: 'https://evil.example' });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('a foreign origin opened a socket')));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(403);
    const own = new WebSocket(`ws://127.0.0.1:${hub.port}/v1/ws`, { origin: `http://127.0.0.1:${hub.port}` });
    await new Promise((resolve, reject) => own.once('open', resolve).once('error', reject));
    own.close();
  });
});

/** Whether a WebSocket upgrade with this Origin opens (true) or is refused (its status). */
function upgrade(port: number, origin: string): Promise<true | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { origin });
    ws.on('open', () => {
      ws.close();
      resolve(true);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

const LOOPBACK_ORIGINS = [
  'http://localhost:5173',
  'http://127.0.0.1:3000',
  'http://[::1]:8080',
  'https://localhost',
];
const FOREIGN_ORIGINS = [
  'https://evil.example',
  'http://localhost.evil.example:5173',
  'http://127.0.0.1.evil.example',
  'http://app.localhost:3000',
  'http://10.1.2.3:3000',
  'null',
];

describe('loopback origins on a hub bound to loopback without auth', () => {
  it.each(LOOPBACK_ORIGINS)(
    '%s may read with CORS, preflight, publish and open a WebSocket',
    async (origin) => {
      const read = await raw(hub.port, { path: '/v1/events', headers: { origin } });
      expect(read.status).toBe(200);
      expect(read.headers['access-control-allow-origin']).toBe(origin);
      expect(read.headers['access-control-allow-credentials']).toBeUndefined();
      expect(read.headers.vary).toMatch(/origin/i);
      expect(read.headers['access-control-expose-headers']).toContain('herald-events-lost');
      const preflight = await raw(hub.port, {
        method: 'OPTIONS',
        path: '/v1/events',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(origin);
      expect(preflight.headers['access-control-allow-methods']).toContain('POST');
      // An OPTIONS that is no preflight gets no text/plain error either.
      const bare = await raw(hub.port, { method: 'OPTIONS', path: '/v1/events', headers: { origin } });
      expect(bare.status).toBe(204);
      const post = await raw(hub.port, {
        method: 'POST',
        path: '/v1/events',
        headers: { origin, 'content-type': 'application/json' },
        body: '{"type":"guard.loopback"}',
      });
      expect(post.status).toBe(201);
      expect(post.headers['access-control-allow-origin']).toBe(origin);
      expect(await upgrade(hub.port, origin)).toBe(true);
    },
  );

  it('echoes a loopback origin on the SSE stream', async () => {
    const stream = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: hub.port,
          path: '/v1/sse?types=guard.>',
          headers: { origin: 'http://localhost:5173', accept: 'text/event-stream' },
        },
        (response) => {
          resolve(response.headers);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(stream['content-type']).toMatch(/^text\/event-stream/);
    expect(stream['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  it.each(FOREIGN_ORIGINS)(
    '%s still gets 403 on writes and WebSockets, and no CORS header',
    async (origin) => {
      const post = await raw(hub.port, {
        method: 'POST',
        path: '/v1/events',
        headers: { origin, 'content-type': 'application/json' },
        body: '{"type":"guard.foreign"}',
      });
      expect(post.status).toBe(403);
      expect(post.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
      const read = await raw(hub.port, { path: '/v1/events', headers: { origin } });
      expect(read.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await raw(hub.port, {
        method: 'OPTIONS',
        path: '/v1/events',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(404);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(await upgrade(hub.port, origin)).toBe(403);
    },
  );

  it('keeps the Host check and the CORS-simple rule for loopback origins', async () => {
    const rebound = await raw(hub.port, {
      method: 'POST',
      path: '/v1/events',
      headers: {
        host: 'rebind.evil.example',
        origin: 'http://localhost:5173',
        'content-type': 'application/json',
      },
      body: '{"type":"guard.rebound"}',
    });
    expect(rebound.status).toBe(421);
    expect(rebound.body.error.code).toBe('HOST_NOT_ALLOWED');
    const simple = await raw(hub.port, {
      method: 'POST',
      path: '/v1/events',
      headers: { origin: 'http://localhost:5173', 'content-type': 'text/plain' },
      body: '{"type":"guard.simple"}',
    });
    expect(simple.status).toBe(415);
  });

  it('changes nothing with auth on, with cors.origins set, or on a non-loopback bind', async () => {
    const origin = 'http://localhost:5173';
    const post = (port: number, headers: Record<string, string> = {}) =>
      raw(port, {
        method: 'POST',
        path: '/v1/events',
        headers: { origin, 'content-type': 'application/json', ...headers },
        body: '{"type":"guard.x"}',
      });
    const authed = await startHub({
      log: memoryLog(),
      auth: { keys: [{ name: 'k', key: 'k-12345678', admin: true }] },
    });
    const configured = await startHub({ log: memoryLog(), cors: { origins: ['https://app.example'] } });
    const none = await startHub({ log: memoryLog(), cors: { origins: [] } });
    const wide = createServer({ log: memoryLog() });
    await wide.listen({ host: '0.0.0.0', port: 0 });
    const widePort = (wide.server.address() as { port: number }).port;
    try {
      for (const port of [authed.port, configured.port, none.port, widePort]) {
        const refused = await post(port, { authorization: 'Bearer k-12345678' });
        expect(refused.status, `port ${port}`).toBe(403);
        expect(refused.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
        const read = await raw(port, {
          path: '/healthz',
          headers: { origin, authorization: 'Bearer k-12345678' },
        });
        expect(read.status).toBe(200);
        expect(read.headers['access-control-allow-origin']).toBeUndefined();
        expect(await upgrade(port, origin)).toBe(403);
      }
      // The configured origin is the whole list: it still works, and only it.
      const app = await raw(configured.port, {
        path: '/healthz',
        headers: { origin: 'https://app.example' },
      });
      expect(app.headers['access-control-allow-origin']).toBe('https://app.example');
      // Not listening (inject): no socket, so no loopback to trust.
      const injected = await wide.inject({ url: '/healthz', headers: { origin } });
      expect(injected.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      for (const h of [authed, configured, none]) await h.app.close();
      await wide.close();
    }
  });
});

describe('in headless Chromium', () => {
  if (!existsSync(CHROMIUM)) {
    const reason = `no Chromium at ${CHROMIUM}`;
    if (process.env.CI === 'true')
      it('runs in Chromium', () => expect.fail(`${reason} (required under CI=true)`));
    else it.skip(`runs in Chromium (skipped: ${reason})`, () => undefined);
    return;
  }
  let browser: Browser;
  let attacker: Server;
  let attackerPort = 0;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // The attacker's names resolve to this machine, as a rebinding DNS server would make them.
        '--host-resolver-rules=MAP *.evil.example 127.0.0.1',
      ],
    });
    attacker = createHttpServer((req, res) => {
      if (req.url === '/attack.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(`
          window.result = { ws: 'pending', sse: 'pending' };
          const hub = 'http://127.0.0.1:${hub.port}';
          const purge = hub + '/v1/groups/browser-purge/dead-letters/purge';
          Promise.allSettled([
            fetch(purge, { method: 'POST', mode: 'no-cors' }),
            fetch(purge, { method: 'POST', mode: 'no-cors', body: '{}' }),
            fetch(purge, { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ positions: '1' }) }),
            fetch(hub + '/v1/events', { method: 'POST', mode: 'no-cors', body: '{"type":"guard.evil"}' }),
          ]).then(() => { window.result.posts = 'sent'; });
          const ws = new WebSocket('ws://127.0.0.1:${hub.port}/v1/ws');
          ws.onopen = () => { window.result.ws = 'open'; ws.send(JSON.stringify({ type: 'publish', event: { type: 'guard.evilws' } })); };
          ws.onclose = () => { if (window.result.ws === 'pending') window.result.ws = 'refused'; };
          // Reads: a foreign origin gets no CORS header, so the browser hands it nothing.
          const es = new EventSource(hub + '/v1/sse');
          es.onopen = () => { window.result.sse = 'open'; };
          es.onerror = () => { if (window.result.sse === 'pending') window.result.sse = 'blocked'; es.close(); };
          fetch(hub + '/v1/events').then(() => { window.result.read = 'read'; }, () => { window.result.read = 'blocked'; });`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE('/attack.js'));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await browser.close();
    await new Promise((resolve) => attacker.close(resolve));
  });

  it('a foreign page can neither purge, publish, open a WebSocket nor read', async () => {
    await deadLetterGroup('browser-purge');
    const page = await browser.newPage();
    await page.goto(`http://attacker.evil.example:${attackerPort}/`);
    await page.waitForFunction(() => {
      const r = (
        globalThis as unknown as { result: { posts?: string; ws: string; sse: string; read?: string } }
      ).result;
      return r.posts === 'sent' && r.ws !== 'pending' && r.sse !== 'pending' && r.read !== undefined;
    });
    const result = await page.evaluate(() => (globalThis as unknown as { result: unknown }).result);
    expect(result).toEqual({ posts: 'sent', ws: 'refused', sse: 'blocked', read: 'blocked' });
    expect(await deadLetters('browser-purge')).toBe(1);
    const types: string[] = [];
    for await (const e of log.read({ types: ['guard.>'] })) types.push(e.type);
    expect(types).not.toContain('guard.evil');
    expect(types).not.toContain('guard.evilws');
  });

  it('a page loaded through a rebound name gets 421, not the API', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://rebind.evil.example:${hub.port}/v1/events`);
    expect(response?.status()).toBe(421);
    expect(await page.content()).toContain('HOST_NOT_ALLOWED');
  });

  it('a page the hub serves itself still publishes over HTTP and WebSocket', async () => {
    const page = await browser.newPage();
    await page.goto(`${hub.base}/test/own`);
    await page.waitForFunction(() => {
      const r = (globalThis as unknown as { result: { post?: number; ws?: string } }).result;
      return r.post !== undefined && r.ws !== undefined;
    });
    expect(await page.evaluate(() => (globalThis as unknown as { result: unknown }).result)).toEqual({
      post: 201,
      ws: 'ack',
    });
  });
});
