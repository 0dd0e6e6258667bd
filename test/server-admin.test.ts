import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { principal } from '../src/server/auth/principal.js';
import { createServer } from '../src/server/index.js';

// Real listening servers and real HTTP requests (Node's fetch, undici).
let app: FastifyInstance;
let base: string;
let log: EventLog;

async function listen(server: FastifyInstance): Promise<string> {
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

beforeAll(async () => {
  log = memoryLog();
  app = createServer({ log });
  base = await listen(app);
});
afterAll(async () => {
  await app.close();
  await log.close();
});

interface Reply {
  status: number;
  json: Record<string, unknown>;
}
async function call(path: string, init: RequestInit = {}, at = base): Promise<Reply> {
  const res = await fetch(`${at}${path}`, init);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
// A POST sends a JSON content type even without a body: the hub refuses CORS-simple POSTs.
const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
const code = (reply: Reply) => [reply.status, (reply.json.error as { code: string } | undefined)?.code];

/** A group `name` holding a dead letter for each of `types` (maxDeliveries 1: one nack buries). */
async function groupWithDeadLetters(name: string, types: string[]): Promise<number[]> {
  const appended = await log.append(types.map((type) => ({ type, data: { type } })));
  const group = await log.group(name, { startAt: appended[0]!.position, maxDeliveries: 1 });
  const deliveries = await group.pull({ max: types.length });
  expect(deliveries.length).toBe(types.length);
  for (const delivery of deliveries)
    await delivery.nack({ error: new Error(`failed ${delivery.event.type}`) });
  return appended.map((a) => a.position);
}

describe('GET /v1/groups', () => {
  it('lists every group with its progress, and one group with its options', async () => {
    const positions = await groupWithDeadLetters('list-a', ['list.one', 'list.two']);
    await log.group('list-b', { startAt: 'start', types: ['list.>'], ackWaitMs: 5_000 });
    const list = await call('/v1/groups');
    expect(list.status).toBe(200);
    const groups = list.json.groups as { name: string }[];
    expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(['list-a', 'list-b']));
    expect(groups.find((g) => g.name === 'list-a')).toEqual({
      name: 'list-a',
      ackedPosition: positions[1],
      deliveredPosition: positions[1],
      pending: 0,
      lag: 0,
      deadLetters: 2,
    });
    const one = await call('/v1/groups/list-b');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({
      name: 'list-b',
      lag: 2,
      pending: 0,
      deadLetters: 0,
      options: { types: ['list.>'], ackWaitMs: 5_000, maxDeliveries: 5 },
    });
  });

  it('answers 404 NOT_FOUND for a group that does not exist, and does not create it', async () => {
    for (const path of ['/v1/groups/ghost', '/v1/groups/ghost/dead-letters']) {
      expect(code(await call(path))).toEqual([404, 'NOT_FOUND']);
    }
    expect(code(await post('/v1/groups/ghost/dead-letters/redrive'))).toEqual([404, 'NOT_FOUND']);
    expect(code(await post('/v1/groups/ghost/dead-letters/purge', {}))).toEqual([404, 'NOT_FOUND']);
    expect(await log.groups()).not.toContain('ghost');
  });

  it('takes percent-encoded group names', async () => {
    await log.group('team/a b', { startAt: 'end' });
    const one = await call(`/v1/groups/${encodeURIComponent('team/a b')}`);
    expect([one.status, one.json.name]).toEqual([200, 'team/a b']);
  });
});

describe('dead letters', () => {
  it('lists them in position order with the event, deliveries, last error and time; limit bounds the page', async () => {
    const positions = await groupWithDeadLetters('dl-list', ['dl.a', 'dl.b', 'dl.c']);
    const all = await call('/v1/groups/dl-list/dead-letters');
    expect(all.status).toBe(200);
    const dead = all.json.deadLetters as {
      event: { position: number; type: string };
      deliveries: number;
      error: string;
      at: string;
    }[];
    expect(dead.map((d) => d.event.position)).toEqual(positions);
    expect(dead[0]).toMatchObject({ event: { type: 'dl.a', data: { type: 'dl.a' } }, deliveries: 1 });
    expect(dead[0]!.error).toContain('failed dl.a');
    expect(Number.isNaN(Date.parse(dead[0]!.at))).toBe(false);
    const page = await call('/v1/groups/dl-list/dead-letters?limit=2');
    expect((page.json.deadLetters as unknown[]).length).toBe(2);
  });

  it('rejects a limit outside 1..1000 with 400 INVALID_QUERY naming it', async () => {
    await groupWithDeadLetters('dl-limit', ['dl.limit']);
    for (const limit of ['0', '1001', 'ten', '-1']) {
      const reply = await call(`/v1/groups/dl-limit/dead-letters?limit=${limit}`);
      expect(code(reply)).toEqual([400, 'INVALID_QUERY']);
      expect((reply.json.error as { details: unknown }).details).toMatchObject({ parameter: 'limit' });
    }
  });

  it('redrives the positions given, then every one with no body; a member receives them again', async () => {
    const positions = await groupWithDeadLetters('dl-redrive', ['rd.a', 'rd.b', 'rd.c']);
    const one = await post('/v1/groups/dl-redrive/dead-letters/redrive', {
      positions: [positions[1], 999_999],
    });
    expect([one.status, one.json]).toEqual([200, { redriven: 1 }]);
    const group = await log.group('dl-redrive');
    expect((await group.pull({ max: 10 })).map((d) => d.event.position)).toEqual([positions[1]]);
    const rest = await post('/v1/groups/dl-redrive/dead-letters/redrive');
    expect([rest.status, rest.json]).toEqual([200, { redriven: 2 }]);
    expect((await group.pull({ max: 10 })).map((d) => d.event.position)).toEqual([
      positions[0],
      positions[2],
    ]);
    const info = await call('/v1/groups/dl-redrive');
    expect(info.json).toMatchObject({ deadLetters: 0, pending: 3 });
  });

  it('purges the positions given, none for an empty list, then every one with {}', async () => {
    const positions = await groupWithDeadLetters('dl-purge', ['pg.a', 'pg.b', 'pg.c']);
    expect(
      (await post('/v1/groups/dl-purge/dead-letters/purge', { positions: [positions[0]] })).json,
    ).toEqual({
      purged: 1,
    });
    expect((await post('/v1/groups/dl-purge/dead-letters/purge', { positions: [] })).json).toEqual({
      purged: 0,
    });
    expect((await post('/v1/groups/dl-purge/dead-letters/purge', {})).json).toEqual({ purged: 2 });
    expect((await call('/v1/groups/dl-purge/dead-letters')).json).toEqual({ deadLetters: [] });
  });

  it('refuses a malformed body with 400 INVALID_QUERY naming the problem, and touches nothing', async () => {
    await groupWithDeadLetters('dl-bad', ['bad.a']);
    const cases: [unknown, string, RegExp][] = [
      ['{"positions": [1', 'body', /not valid JSON/],
      ['[1, 2]', 'body', /JSON object/],
      [{ position: [1] }, 'position', /unknown field "position"/],
      [{ positions: 3 }, 'positions', /array/],
      [{ positions: [1, 'two'] }, 'positions', /integers/],
      [{ positions: [0] }, 'positions', /integers of 1 or more/],
      [{ positions: [1.5] }, 'positions', /integers/],
    ];
    for (const [body, parameter, message] of cases) {
      for (const action of ['redrive', 'purge']) {
        const reply = await post(`/v1/groups/dl-bad/dead-letters/${action}`, body);
        expect(code(reply)).toEqual([400, 'INVALID_QUERY']);
        const error = reply.json.error as { message: string; details: { parameter: string } };
        expect(error.details.parameter).toBe(parameter);
        expect(error.message).toMatch(message);
      }
    }
    const other = await post('/v1/groups/dl-bad/dead-letters/purge', 'positions=1', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(code(other)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect((await call('/v1/groups/dl-bad')).json).toMatchObject({ deadLetters: 1 });
  });
});

describe('admin routes and non-admins', () => {
  let reader: FastifyInstance;
  let readerBase: string;
  beforeAll(async () => {
    reader = createServer({ log });
    // Runs after the server's own auth hook: every caller is a reader, not an admin.
    reader.addHook('preHandler', (request, _reply, done) => {
      request.principal = principal({ id: 'reader', subscribe: ['>'] });
      done();
    });
    readerBase = await listen(reader);
  });
  afterAll(() => reader.close());

  it('answers 403 FORBIDDEN on every admin route to a caller that is not an admin', async () => {
    await groupWithDeadLetters('guarded', ['guarded.a']);
    const requests: [string, RequestInit][] = [
      ['/v1/groups', {}],
      ['/v1/groups/guarded', {}],
      ['/v1/groups/guarded/dead-letters', {}],
      ['/v1/groups/ghost', {}],
      [
        '/v1/groups/guarded/dead-letters/redrive',
        { method: 'POST', headers: { 'content-type': 'application/json' } },
      ],
      [
        '/v1/groups/guarded/dead-letters/purge',
        { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } },
      ],
    ];
    for (const [path, init] of requests) {
      const reply = await call(path, init, readerBase);
      expect(code(reply)).toEqual([403, 'FORBIDDEN']);
      expect((reply.json.error as { message: string }).message).toContain('"reader" is not an admin');
    }
    expect((await call('/v1/groups/guarded')).json).toMatchObject({ deadLetters: 1 });
  });
});
