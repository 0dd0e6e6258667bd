/**
 * Every route of the OpenAPI document and every WebSocket message type, under every credential
 * state and every grant shape. The expectations are a table: a route the document lists and the
 * table does not fails the test, so a new route cannot ship without its row. At the end, every
 * event the hub acknowledged during the run is readable exactly once, at gap-free positions.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../../src/backends/memory/index.js';
import type { EventLog } from '../../src/log/types.js';
import { startHub, type TestHub } from '../helpers/sse-hub.js';
import { bearer, call, type Reply } from './helpers/http.js';

const SECRET = 'a matrix HS256 secret that is long enough';
const ISSUER = 'https://issuer.example';
const AUDIENCE = 'herald';
const KEYS = [
  { name: 'admin', key: 'admin-key-123', admin: true },
  { name: 'pub', key: 'pub-key-12345', publish: ['matrix.>'] },
  { name: 'sub', key: 'sub-key-12345', subscribe: ['matrix.>'] },
  { name: 'none', key: 'none-key-1234' },
  {
    name: 'streamer',
    key: 'streamer-key1',
    publish: ['matrix.>'],
    subscribe: ['matrix.>'],
    streams: ['m-*'],
  },
] as const;
type Grant = (typeof KEYS)[number]['name'];
const GRANTS = KEYS.map((k) => k.name);
const token = (name: Grant) => KEYS.find((k) => k.name === name)!.key;

let hub: TestHub;
let log: EventLog;
const acknowledged = new Set<string>();
let eventId = '';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const jwt = (claims: Record<string, unknown>, secret = SECRET) =>
  new SignJWT({ admin: true, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .sign(new TextEncoder().encode(secret));

/** Every credential that must be refused with 401, by name. */
async function badCredentials(): Promise<[string, Record<string, string>][]> {
  const ok = await jwt({ exp: now() + 600 });
  const [header, payload] = ok.split('.');
  return [
    ['no token', {}],
    ['an unknown key', bearer('not-a-key-at-all')],
    ['an expired JWT', bearer(await jwt({ exp: now() - 120 }))],
    ['a JWT not yet valid', bearer(await jwt({ nbf: now() + 600, exp: now() + 1200 }))],
    [
      'a JWT of another issuer',
      bearer(
        await new SignJWT({ admin: true })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('https://other.example')
          .setAudience(AUDIENCE)
          .sign(new TextEncoder().encode(SECRET)),
      ),
    ],
    [
      'a JWT for another audience',
      bearer(
        await new SignJWT({ admin: true })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(ISSUER)
          .setAudience('someone-else')
          .sign(new TextEncoder().encode(SECRET)),
      ),
    ],
    ['an unsigned JWT (alg none)', bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`)],
    ['a JWT signed with another secret', bearer(await jwt({ exp: now() + 600 }, 'another secret entirely'))],
    [
      'a JWT with a tampered payload',
      bearer(`${header}.${b64({ admin: true, sub: 'x', iss: ISSUER, aud: AUDIENCE })}.${ok.split('.')[2]}`),
    ],
    ['a malformed Authorization header', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
  ];
}

/** What each grant shape gets from each route (`METHOD path` as the OpenAPI document names it). */
const EXPECTED: Record<string, Record<Grant, number>> = {
  'POST /v1/events': { admin: 201, pub: 201, sub: 403, none: 403, streamer: 201 },
  'GET /v1/events': { admin: 200, pub: 403, sub: 200, none: 403, streamer: 200 },
  'GET /v1/events/{id}': { admin: 200, pub: 404, sub: 200, none: 404, streamer: 200 },
  'GET /v1/streams/{stream}': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 200 },
  // Filtered to what the caller may read, so every caller gets a page (maybe empty).
  'GET /v1/scheduled': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  // Admin only; the id is a stored event's, not a pending one's: the admin gets 404 NOT_FOUND.
  'DELETE /v1/scheduled/{id}': { admin: 404, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /v1/sse': { admin: 200, pub: 403, sub: 200, none: 403, streamer: 200 },
  'GET /v1/ws': { admin: 101, pub: 101, sub: 101, none: 101, streamer: 101 },
  'POST /v1/groups/{name}/pull': { admin: 200, pub: 403, sub: 200, none: 403, streamer: 200 },
  'PATCH /v1/groups/{name}': { admin: 200, pub: 403, sub: 200, none: 403, streamer: 200 },
  'POST /v1/groups/{name}/ack': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'POST /v1/groups/{name}/nack': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'GET /v1/groups': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /v1/groups/{name}': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /v1/groups/{name}/pending': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /v1/groups/{name}/members': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /v1/groups/{name}/dead-letters': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /v1/groups/{name}/dead-letters/errors': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'POST /v1/groups/{name}/dead-letters/redrive': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'POST /v1/groups/{name}/dead-letters/purge': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /metrics': { admin: 200, pub: 403, sub: 403, none: 403, streamer: 403 },
  'GET /v1/stats': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'GET /v1/me': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'GET /healthz': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'GET /readyz': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'GET /v1/openapi.json': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'GET /': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
  'GET /dashboard/{file}': { admin: 200, pub: 200, sub: 200, none: 200, streamer: 200 },
};
const PUBLIC = new Set([
  'GET /',
  'GET /dashboard/{file}',
  'GET /healthz',
  'GET /readyz',
  'GET /v1/openapi.json',
]);

/** The request of a route for a grant shape (path parameters and bodies filled in). */
function requestOf(route: string, grant: Grant): { path: string; init: RequestInit } {
  const [method, template] = route.split(' ') as [string, string];
  const path = template
    .replace('{id}', eventId)
    .replace('{stream}', 'm-1')
    .replace('{file}', 'index.html')
    // A group per grant shape, so each pull creates (or finds) its own.
    .replace('{name}', `matrix-${grant}`);
  const bodies: Record<string, unknown> = {
    'POST /v1/events': { type: 'matrix.created', data: { by: grant } },
    'POST /v1/groups/{name}/pull': { max: 1 },
    'PATCH /v1/groups/{name}': { ackWaitMs: 20_000 },
    'POST /v1/groups/{name}/ack': { receipts: ['not-a-receipt'] },
    'POST /v1/groups/{name}/nack': { receipts: ['not-a-receipt'] },
  };
  const body = bodies[route];
  return {
    path,
    init: {
      method,
      headers: {
        ...(method !== 'GET' && { 'content-type': 'application/json' }),
        ...(route === 'GET /v1/sse' && { 'last-event-id': '0' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    },
  };
}

/** Sends a request; an SSE stream is cut once its status is known. */
async function hit(path: string, init: RequestInit): Promise<Reply> {
  if (!path.startsWith('/v1/sse')) return call(`${hub.base}${path}`, init);
  const controller = new AbortController();
  const res = await fetch(`${hub.base}${path}`, { ...init, signal: controller.signal });
  const body: unknown = res.status === 200 ? {} : await res.json();
  controller.abort();
  return { status: res.status, headers: res.headers, body };
}

/** The status of a WebSocket upgrade (101 when it opened). */
function upgrade(headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${hub.base.replace('http', 'ws')}/v1/ws`, { headers });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.on('error', () => undefined);
  });
}

let routes: string[] = [];

beforeAll(async () => {
  log = memoryLog();
  hub = await startHub({
    log,
    auth: {
      keys: KEYS,
      jwt: { secret: SECRET, issuer: ISSUER, audience: AUDIENCE },
      // This test fails authentication hundreds of times on purpose.
      failureLimit: { max: 1_000_000, windowMs: 60_000 },
    },
  });
  const [stored] = await log.append([{ type: 'matrix.seed', data: {} }], { stream: 'm-1' });
  eventId = stored!.id;
  acknowledged.add(eventId);
  // A group for every grant shape the admin routes can find.
  for (const grant of GRANTS) await log.group(`matrix-${grant}`, { types: ['matrix.>'] });
  const doc = (await call(`${hub.base}/v1/openapi.json`)).body as {
    paths: Record<string, Record<string, unknown>>;
  };
  routes = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
});
afterAll(async () => {
  await hub.app.close();
  await log.close();
});

describe('every route under every credential state', () => {
  it('has an expectation for every route the OpenAPI document lists, and no other', () => {
    expect(routes.length).toBeGreaterThan(15);
    expect([...routes].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('answers 401 UNAUTHORIZED with WWW-Authenticate to every bad credential on every private route', async () => {
    const failures: string[] = [];
    for (const [credential, headers] of await badCredentials()) {
      for (const route of routes) {
        if (route === 'GET /v1/ws') {
          const { status } = await upgrade(headers);
          if (status !== 401) failures.push(`${route} with ${credential}: ${status}`);
          continue;
        }
        const { path, init } = requestOf(route, 'admin');
        const reply = await hit(path, { ...init, headers: { ...(init.headers as object), ...headers } });
        const expected = PUBLIC.has(route) && credential === 'no token' ? 200 : 401;
        if (reply.status !== expected) failures.push(`${route} with ${credential}: ${reply.status}`);
        if (expected === 401) {
          if (reply.body?.error?.code !== 'UNAUTHORIZED')
            failures.push(`${route} with ${credential}: no code`);
          if (!reply.headers.get('www-authenticate')?.startsWith('Bearer'))
            failures.push(`${route} with ${credential}: no WWW-Authenticate`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('gives each grant shape exactly what its grants allow on every route', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      for (const grant of GRANTS) {
        const headers = bearer(token(grant));
        if (route === 'GET /v1/ws') {
          const { status, ws } = await upgrade(headers);
          ws?.close();
          if (status !== EXPECTED[route]![grant]) failures.push(`${route} as ${grant}: ${status}`);
          continue;
        }
        const { path, init } = requestOf(route, grant);
        const reply = await hit(path, { ...init, headers: { ...(init.headers as object), ...headers } });
        if (reply.status !== EXPECTED[route]![grant]) {
          failures.push(`${route} as ${grant}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 120)}`);
        }
        if (reply.status >= 400 && reply.body?.error?.code === undefined)
          failures.push(`${route} as ${grant}: shape`);
        if (route === 'POST /v1/events' && reply.status === 201) {
          for (const e of reply.body.events as { id: string }[]) acknowledged.add(e.id);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

/** Sends one message on a socket and returns the first reply. */
function exchange(ws: WebSocket, message: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.send(JSON.stringify(message));
  });
}

describe('every WebSocket message type under every grant shape', () => {
  const MESSAGES: [string, Record<string, unknown>, Record<Grant, string>][] = [
    [
      'subscribe to matrix.>',
      { type: 'subscribe', id: 's1', patterns: ['matrix.>'] },
      { admin: 'subscribed', pub: 'FORBIDDEN', sub: 'subscribed', none: 'FORBIDDEN', streamer: 'subscribed' },
    ],
    [
      'subscribe to everything they may read',
      { type: 'subscribe', id: 's2' },
      { admin: 'subscribed', pub: 'FORBIDDEN', sub: 'subscribed', none: 'FORBIDDEN', streamer: 'subscribed' },
    ],
    [
      'subscribe to another team',
      { type: 'subscribe', id: 's3', patterns: ['payments.>'] },
      { admin: 'subscribed', pub: 'FORBIDDEN', sub: 'FORBIDDEN', none: 'FORBIDDEN', streamer: 'FORBIDDEN' },
    ],
    [
      'publish matrix.ws',
      { type: 'publish', ref: 1, event: { type: 'matrix.ws', data: {} } },
      { admin: 'ack', pub: 'ack', sub: 'FORBIDDEN', none: 'FORBIDDEN', streamer: 'ack' },
    ],
    [
      'publish to stream m-2',
      { type: 'publish', ref: 2, event: { type: 'matrix.ws', data: {} }, stream: 'm-2' },
      { admin: 'ack', pub: 'FORBIDDEN', sub: 'FORBIDDEN', none: 'FORBIDDEN', streamer: 'ack' },
    ],
    [
      'unsubscribe an unknown id',
      { type: 'unsubscribe', id: 'ghost' },
      {
        admin: 'SUBSCRIPTION_NOT_FOUND',
        pub: 'SUBSCRIPTION_NOT_FOUND',
        sub: 'SUBSCRIPTION_NOT_FOUND',
        none: 'SUBSCRIPTION_NOT_FOUND',
        streamer: 'SUBSCRIPTION_NOT_FOUND',
      },
    ],
  ];

  it('answers each message as the grants allow, and the socket stays open', async () => {
    const failures: string[] = [];
    for (const grant of GRANTS) {
      const { ws } = await upgrade(bearer(token(grant)));
      for (const [name, message, expected] of MESSAGES) {
        const reply = await exchange(ws!, message);
        const got = reply.type === 'error' ? (reply.code as string) : (reply.type as string);
        if (got !== expected[grant]) failures.push(`${name} as ${grant}: ${got}`);
        if (reply.type === 'ack') acknowledged.add(reply.id as string);
      }
      expect(ws!.readyState).toBe(WebSocket.OPEN);
      ws!.close();
    }
    expect(failures).toEqual([]);
  });
});

describe('integrity after the run', () => {
  it('stores every acknowledged event exactly once, at gap-free positions', async () => {
    const stored: { id: string; position: number }[] = [];
    for await (const e of log.read({ from: 'start' })) stored.push({ id: e.id, position: e.position });
    expect(stored.map((e) => e.position)).toEqual(stored.map((_, i) => i + 1));
    const ids = stored.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of acknowledged) expect(ids).toContain(id);
    expect(acknowledged.size).toBeGreaterThan(5);
  });
});
