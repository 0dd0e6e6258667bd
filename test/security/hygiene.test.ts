import type { FastifyInstance } from 'fastify';
import { errorCodes } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLogOptions } from '../../src/cli/request-log.js';
import { HeraldError } from '../../src/errors/herald-error.js';
import { memoryLog } from '../../src/backends/memory/index.js';
import type { ServerOptions } from '../../src/server/index.js';
import { startHub, type TestHub } from '../helpers/sse-hub.js';
import { logCapture } from './hygiene-helpers/log-capture.js';
import { rawRequest } from './hygiene-helpers/raw-http.js';

// Every error the hub answers, from Fastify, from Node's parser or from Herald, has one JSON shape
// and the security headers; names the API accepts can be read back; no credential reaches a log.
const hubs: TestHub[] = [];
const ADMIN = 'adm1n-key-0f-the-hygiene-test';
const READER = 'r3ader-key-0f-the-hygiene-test';

async function hub(options: Omit<ServerOptions, 'log'> & { setup?: (app: FastifyInstance) => void }) {
  const started = await startHub({ log: memoryLog(), ...options });
  hubs.push(started);
  return started;
}

afterAll(async () => {
  for (const { app, log } of hubs) {
    await app.close();
    await log.close();
  }
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
type Body = any;
interface Answer {
  status: number;
  header: (name: string) => string | null;
  body: Body;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, header: (name) => res.headers.get(name), body: text ? JSON.parse(text) : {} };
}

async function raw(port: number, request: string): Promise<Answer> {
  const res = await rawRequest(port, request);
  return { status: res.status, header: (name) => res.headers[name] ?? null, body: JSON.parse(res.body) };
}

function expectErrorShape(answer: Answer, status: number, code: string): void {
  expect([answer.status, answer.body?.error?.code]).toEqual([status, code]);
  expect(Object.keys(answer.body)).toEqual(['error']);
  expect(Object.keys(answer.body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(typeof answer.body.error.message).toBe('string');
  expect(answer.body.error.details).toBeTypeOf('object');
  expect(answer.header('content-type')).toMatch(/^application\/json/);
}

function expectSecurityHeaders(answer: Answer): void {
  expect(answer.header('x-content-type-options')).toBe('nosniff');
  expect(answer.header('x-frame-options')).toBe('SAMEORIGIN');
  expect(answer.header('strict-transport-security')).toMatch(/^max-age=\d+/);
  expect(answer.header('cross-origin-resource-policy')).toBe('same-origin');
  expect(answer.header('cross-origin-opener-policy')).toBe('same-origin');
  expect(answer.header('referrer-policy')).toBe('no-referrer');
  expect(answer.header('x-powered-by')).toBeNull();
}

const host = 'Host: 127.0.0.1\r\n';
const longUrl = (path: string) => `GET ${path}?filler=${'u'.repeat(20_000)} HTTP/1.1\r\n${host}\r\n`;
const bigHeaders = (extra = '') =>
  `GET /v1/events HTTP/1.1\r\n${host}${extra}X-Filler: ${'h'.repeat(20_000)}\r\n\r\n`;
const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function testRoutes(app: FastifyInstance): void {
  app.get('/test/boom', { config: { public: true } }, (request) => {
    request.log.warn({ req: request, headers: request.headers }, 'about to fail');
    throw new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2');
  });
  app.get('/test/expired', { config: { public: true } }, () => {
    throw new HeraldError('UNAUTHORIZED', 'the credential expired');
  });
  app.get('/test/fastify/:code', { config: { public: true } }, (request) => {
    const { code } = request.params as { code: keyof typeof errorCodes };
    throw new errorCodes[code]('x');
  });
}

describe('every error response has the one JSON shape and the security headers', () => {
  let open: TestHub;
  let authed: TestHub;
  let limited: TestHub;
  let fenced: TestHub;
  beforeAll(async () => {
    open = await hub({ bodyLimit: 1024, setup: testRoutes });
    authed = await hub({
      bodyLimit: 1024,
      auth: {
        keys: [
          { name: 'ops', key: ADMIN, admin: true },
          { name: 'reader', key: READER, subscribe: ['orders.>'] },
        ],
      },
      setup: testRoutes,
    });
    limited = await hub({ rateLimit: { max: 1, timeWindowMs: 600_000 } });
    fenced = await hub({ allowIps: ['10.0.0.0/8'] });
  });

  const cases: [string, number, string, () => Promise<Answer>][] = [
    ['an unknown path', 404, 'NOT_FOUND', () => call(`${open.base}/no/such/route`)],
    [
      'an unknown method on a known path',
      404,
      'NOT_FOUND',
      () => call(`${open.base}/v1/events`, { method: 'DELETE' }),
    ],
    ['a WebDAV method', 404, 'NOT_FOUND', () => call(`${open.base}/v1/events`, { method: 'PROPFIND' })],
    ['malformed percent-encoding', 400, 'INVALID_QUERY', () => call(`${open.base}/v1/streams/%E0%A4%A`)],
    [
      'a path segment over any name',
      414,
      'URI_TOO_LONG',
      () => call(`${open.base}/v1/streams/${'s'.repeat(2_296)}`),
    ],
    ['a URL over the head limit (Node)', 414, 'URI_TOO_LONG', () => raw(open.port, longUrl('/v1/events'))],
    ['headers over the head limit (Node)', 431, 'HEADERS_TOO_LARGE', () => raw(open.port, bigHeaders())],
    [
      'a method Node does not know',
      400,
      'INVALID_QUERY',
      () => raw(open.port, `FOO / HTTP/1.1\r\n${host}\r\n`),
    ],
    [
      'a malformed header line',
      400,
      'INVALID_QUERY',
      () => raw(open.port, `GET / HTTP/1.1\r\n${host}Bad Name: x\r\n\r\n`),
    ],
    [
      'a body over the limit',
      413,
      'PAYLOAD_TOO_LARGE',
      () => call(`${open.base}/v1/events`, { method: 'POST', headers: json, body: `[${' '.repeat(2048)}]` }),
    ],
    [
      'malformed JSON',
      400,
      'INVALID_EVENT',
      () => call(`${open.base}/v1/events`, { method: 'POST', headers: json, body: '{"type":' }),
    ],
    [
      'a malformed content type',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      () => call(`${open.base}/v1/events`, { method: 'POST', headers: { 'content-type': ';;' }, body: '{}' }),
    ],
    ['an unexpected error', 500, 'INTERNAL', () => call(`${open.base}/test/boom`)],
    ['no token', 401, 'UNAUTHORIZED', () => call(`${authed.base}/v1/events`)],
    [
      'an unknown key',
      401,
      'UNAUTHORIZED',
      () => call(`${authed.base}/v1/events`, { headers: bearer('nope') }),
    ],
    ['an unknown query token', 401, 'UNAUTHORIZED', () => call(`${authed.base}/v1/events?access_token=nope`)],
    [
      'a Basic credential',
      401,
      'UNAUTHORIZED',
      () => call(`${authed.base}/v1/events`, { headers: { authorization: 'Basic eDp5' } }),
    ],
    ['an unknown path without a token', 401, 'UNAUTHORIZED', () => call(`${authed.base}/no/such/route`)],
    ['a 401 thrown by a route', 401, 'UNAUTHORIZED', () => call(`${authed.base}/test/expired`)],
    [
      'an admin route for a reader',
      403,
      'FORBIDDEN',
      () => call(`${authed.base}/v1/groups`, { headers: bearer(READER) }),
    ],
    [
      'an unknown path with a token',
      404,
      'NOT_FOUND',
      () => call(`${authed.base}/no/such`, { headers: bearer(ADMIN) }),
    ],
    [
      'a body over the limit, with a token',
      413,
      'PAYLOAD_TOO_LARGE',
      () =>
        call(`${authed.base}/v1/events`, {
          method: 'POST',
          headers: { ...json, ...bearer(ADMIN) },
          body: `[${' '.repeat(2048)}]`,
        }),
    ],
    [
      'malformed percent-encoding, with auth on',
      400,
      'INVALID_QUERY',
      () => call(`${authed.base}/v1/groups/%ZZ`),
    ],
    [
      'a URL over the head limit, with auth on',
      414,
      'URI_TOO_LONG',
      () => raw(authed.port, longUrl('/v1/events')),
    ],
    [
      'headers over the head limit, with auth on',
      431,
      'HEADERS_TOO_LARGE',
      () => raw(authed.port, bigHeaders()),
    ],
    ['an address outside allowIps', 403, 'FORBIDDEN', () => call(`${fenced.base}/v1/events`)],
    [
      'a request over the rate limit',
      429,
      'RATE_LIMITED',
      async () => {
        await call(`${limited.base}/v1/events`);
        return call(`${limited.base}/v1/events`);
      },
    ],
  ];

  it.each(cases)('%s: %i %s', async (_label, status, code, request) => {
    const answer = await request();
    expectErrorShape(answer, status, code);
    expectSecurityHeaders(answer);
    if (status === 401) expect(answer.header('www-authenticate')).toMatch(/^Bearer realm="herald"/);
    if (status === 500) expect(JSON.stringify(answer.body)).not.toMatch(/hunter2|10\.1\.2\.3|ECONNREFUSED/);
  });

  it('answers a well-formed request with the same security headers', async () => {
    const answer = await call(`${open.base}/healthz`);
    expect(answer.status).toBe(200);
    expectSecurityHeaders(answer);
  });

  // Errors Fastify raises while serving, thrown through a real route: each maps to a Herald code.
  const fastifyCases: [string, number, string][] = [
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'INVALID_QUERY'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'INVALID_QUERY'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'INVALID_QUERY'],
    ['FST_ERR_VALIDATION', 400, 'INVALID_QUERY'],
    ['FST_ERR_BAD_URL', 400, 'INVALID_QUERY'],
    ['FST_ERR_INVALID_URL', 400, 'INVALID_QUERY'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'URI_TOO_LONG'],
    ['FST_ERR_NOT_FOUND', 404, 'NOT_FOUND'],
    ['FST_ERR_ASYNC_CONSTRAINT', 500, 'INTERNAL'],
    ['FST_ERR_HOOK_TIMEOUT', 500, 'INTERNAL'],
    ['FST_ERR_REP_ALREADY_SENT', 500, 'INTERNAL'],
  ];

  it.each(fastifyCases)('maps Fastify error %s to %i %s', async (fastifyCode, status, code) => {
    const answer = await call(`${open.base}/test/fastify/${fastifyCode}`);
    expectErrorShape(answer, status, code);
    expect(JSON.stringify(answer.body)).not.toContain('FST_');
  });
});

describe('every name the API accepts can be read back by its path', () => {
  let base: string;
  beforeAll(async () => {
    base = (await hub({})).base;
  });

  const names: [string, string][] = [
    ['255 ASCII characters', 'a'.repeat(255)],
    ['255 two-byte characters', 'é'.repeat(255)],
    ['255 three-byte characters (the longest encoding)', '€'.repeat(255)],
    ['astral characters up to 254 UTF-16 units', '😀'.repeat(127)],
    ['spaces, percent signs, slashes and unicode', 'order 50%/done ✓ ?#&=+'],
  ];

  it('stores and reads a stream named by a 255-character Herald-Stream header', async () => {
    const stream = 'h'.repeat(255);
    const posted = await call(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...json, 'herald-stream': stream },
      body: JSON.stringify({ type: 'orders.created', data: {} }),
    });
    expect(posted.status).toBe(201);
    const read = await call(`${base}/v1/streams/${stream}`);
    expect([read.status, read.body.stream, read.body.events.length]).toEqual([200, stream, 1]);
  });

  it.each(names)('stores and reads a stream of %s', async (_label, stream) => {
    const posted = await call(`${base}/v1/events`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ stream, events: [{ type: 'orders.created', data: {} }] }),
    });
    expect(posted.status).toBe(201);
    const read = await call(`${base}/v1/streams/${encodeURIComponent(stream)}`);
    expect([read.status, read.body.stream, read.body.version, read.body.events.length]).toEqual([
      200,
      stream,
      1,
      1,
    ]);
  });

  it.each(names)('creates a group of %s by pulling, then reads it', async (_label, name) => {
    const path = `${base}/v1/groups/${encodeURIComponent(name)}`;
    const pulled = await call(`${path}/pull`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ types: ['orders.>'], max: 1, waitMs: 0 }),
    });
    expect(pulled.status).toBe(200);
    const read = await call(path);
    expect([read.status, read.body.name]).toEqual([200, name]);
  });

  it('refuses a name one character too long as INVALID_OPTION, not as a URL too long', async () => {
    const read = await call(`${base}/v1/streams/${'€'.repeat(256)}`);
    expectErrorShape(read, 400, 'INVALID_OPTION');
  });
});

describe('no credential reaches the log', () => {
  const secrets = {
    admin: ADMIN,
    wrongQuery: 'wr0ng-query-token-value',
    wrongHeader: 'wr0ng-header-token-value',
    cookie: 'c00kie-session-value',
    proxy: 'pr0xy-credential-value',
    raw: 'r4w-header-token-value',
  };

  async function exercise(target: TestHub): Promise<void> {
    const { base, port } = target;
    expect((await call(`${base}/v1/events?limit=5&access_token=${secrets.admin}`)).status).toBe(200);
    expect((await call(`${base}/v1/events?access%5Ftoken=${secrets.admin}&limit=5`)).status).toBe(200);
    expect((await call(`${base}/v1/events?access_token=${secrets.wrongQuery}`)).status).toBe(401);
    const withHeaders = await call(`${base}/v1/events`, {
      headers: {
        ...bearer(secrets.wrongHeader),
        cookie: `sid=${secrets.cookie}`,
        'proxy-authorization': `Basic ${secrets.proxy}`,
      },
    });
    expect(withHeaders.status).toBe(401);
    const boom = await call(`${base}/test/boom?access_token=${secrets.admin}`, {
      headers: { ...bearer(secrets.admin), cookie: `sid=${secrets.cookie}` },
    });
    expect(boom.status).toBe(500);
    expect(
      (await call(`${base}/no/such?token=${secrets.admin}`, { headers: bearer(secrets.admin) })).status,
    ).toBe(404);
    expect((await call(`${base}/v1/streams/%E0%A4%A?access_token=${secrets.admin}`)).status).toBe(400);
    const overflow = await raw(port, bigHeaders(`Authorization: Bearer ${secrets.raw}\r\n`));
    expect(overflow.status).toBe(431);
  }

  const loggers: [string, () => Record<string, unknown>][] = [
    ["the CLI's request log", () => requestLogOptions('info')],
    ["Fastify's own lines at trace", () => ({ level: 'trace' })],
  ];

  it.each(loggers)('%s holds no token, key, cookie or credential header', async (_label, options) => {
    const capture = logCapture();
    const target = await startHub({
      log: memoryLog(),
      auth: { keys: [{ name: 'ops', key: ADMIN, admin: true }] },
      logger: { ...options(), stream: capture.stream },
      setup: testRoutes,
    });
    try {
      await exercise(target);
    } finally {
      // Every response's log line is written by the time the hub has closed.
      await target.app.close();
      await target.log.close();
    }
    const text = capture.text();
    expect(text).toContain('request completed');
    expect(text).toContain('access_token=[redacted]');
    expect(text).toContain('unexpected error');
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
  });
});
