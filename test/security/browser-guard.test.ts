/**
 * A hub on loopback without auth trusts whoever reaches it, so it must not be reachable by a page
 * in the operator's browser: foreign origins (WebSocket, state-changing requests), DNS-rebound host
 * names and CORS-simple POSTs are refused. Raw requests check each rule; headless Chromium checks
 * that a real attacking page gets nowhere while a page the hub serves itself still works.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../../src/log/memory-log.js';
import type { EventLog } from '../../src/log/types.js';
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
          window.result = { ws: 'pending' };
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
          ws.onclose = () => { if (window.result.ws === 'pending') window.result.ws = 'refused'; };`);
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

  it('a foreign page can neither purge, publish nor open a WebSocket', async () => {
    await deadLetterGroup('browser-purge');
    const page = await browser.newPage();
    await page.goto(`http://attacker.evil.example:${attackerPort}/`);
    await page.waitForFunction(() => {
      const r = (globalThis as unknown as { result: { posts?: string; ws: string } }).result;
      return r.posts === 'sent' && r.ws !== 'pending';
    });
    const result = await page.evaluate(() => (globalThis as unknown as { result: unknown }).result);
    expect(result).toEqual({ posts: 'sent', ws: 'refused' });
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
