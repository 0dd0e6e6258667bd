/**
 * `GET /v1/groups/{name}/members`: the callers that pulled a group through this hub, with their
 * last pull, pulls, deliveries and the receipts they hold now; admin only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { GroupMembers, MAX_MEMBERS_PER_GROUP } from '../src/server/groups/group-members.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';

const KEYS = [
  { name: 'ops', key: 'ops-key-1234567', admin: true },
  { name: 'worker-a', key: 'worker-a-key-12', subscribe: ['job.>'], publish: ['job.>'] },
  { name: 'worker-b', key: 'worker-b-key-12', subscribe: ['job.>'] },
];

const call = async (base: string, path: string, key: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('GET /v1/groups/{name}/members', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ log: memoryLog(), auth: { keys: KEYS } });
  });
  afterAll(async () => hub.app.close());

  it('lists each caller that pulled, most recent first, with what it holds now', async () => {
    const pull = (key: string, max: number) =>
      call(hub.base, '/v1/groups/jobs/pull', key, { types: ['job.>'], max });
    // The first pull creates the group at the end of the log: nothing to deliver yet.
    expect((await pull('worker-b-key-12', 1)).body).toEqual({ deliveries: [] });
    const res = await fetch(`${hub.base}/v1/events`, {
      method: 'POST',
      headers: { authorization: 'Bearer worker-a-key-12', 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 5 }, (_, n) => ({ type: 'job.run', data: { n } }))),
    });
    expect(res.status).toBe(201);
    const first = await pull('worker-a-key-12', 2);
    await pull('worker-b-key-12', 1);
    await pull('worker-a-key-12', 1);
    // worker-a acks one of its three.
    const receipt = (first.body.deliveries as { receipt: string }[])[0]!.receipt;
    expect(
      (await call(hub.base, '/v1/groups/jobs/ack', 'worker-a-key-12', { receipts: [receipt] })).status,
    ).toBe(200);

    const { status, body } = await call(hub.base, '/v1/groups/jobs/members', 'ops-key-1234567');
    expect(status).toBe(200);
    const members = body.members as {
      id: string;
      pulls: number;
      delivered: number;
      held: number;
      lastPullAt: string;
    }[];
    expect(members.map((m) => [m.id, m.pulls, m.delivered, m.held])).toEqual([
      ['worker-a', 2, 3, 2],
      ['worker-b', 2, 1, 1],
    ]);
    expect(Math.abs(Date.parse(members[0]!.lastPullAt) - Date.now())).toBeLessThan(60_000);
  });

  it('is for admins only, and 404 for a group the log does not have', async () => {
    expect((await call(hub.base, '/v1/groups/jobs/members', 'worker-a-key-12')).status).toBe(403);
    const missing = await call(hub.base, '/v1/groups/nope/members', 'ops-key-1234567');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});

describe('GroupMembers', () => {
  it(`keeps at most ${MAX_MEMBERS_PER_GROUP} members a group, forgetting the one that pulled longest ago`, () => {
    let now = 0;
    const members = new GroupMembers(() => ++now);
    for (let i = 0; i <= MAX_MEMBERS_PER_GROUP; i++) members.pulled('g', `m${i}`, 1);
    members.pulled('g', 'm1', 1); // m1 pulls again: m0 is the stalest
    members.pulled('g', 'new', 0);
    const ids = members.list('g').map((m) => m.id);
    expect(ids).toHaveLength(MAX_MEMBERS_PER_GROUP);
    expect(ids.slice(0, 2)).toEqual(['new', 'm1']);
    expect(ids).not.toContain('m0');
    expect(ids).not.toContain('m2');
  });
});

describe('the dashboard routes against a foreign page and bad input', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({
      log: memoryLog(),
      auth: { keys: KEYS },
      cors: { origins: ['https://app.example'] },
    });
    // The group exists for the group routes.
    await call(hub.base, '/v1/groups/jobs/pull', 'worker-a-key-12', { types: ['job.>'], max: 1 });
  });
  afterAll(async () => hub.app.close());

  const ROUTES = ['/v1/me', '/v1/groups/jobs/members', '/v1/groups/jobs/pending'];

  it.each(ROUTES)(
    '%s: a foreign Origin gets no CORS grant, so its page cannot read the reply',
    async (path) => {
      const foreign = await fetch(`${hub.base}${path}`, {
        headers: { authorization: 'Bearer ops-key-1234567', origin: 'https://evil.example' },
      });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const allowed = await fetch(`${hub.base}${path}`, {
        headers: { authorization: 'Bearer ops-key-1234567', origin: 'https://app.example' },
      });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    },
  );

  it.each(ROUTES)('%s: no credentials is 401, a bad token is 401', async (path) => {
    expect((await fetch(`${hub.base}${path}`)).status).toBe(401);
    const bad = await fetch(`${hub.base}${path}`, { headers: { authorization: 'Bearer not-a-key-at-all' } });
    expect(bad.status).toBe(401);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['after=-1', 'after'],
    ['after=1e400', 'after'],
  ])('pending?%s is 400 INVALID_QUERY naming %s', async (query, parameter) => {
    const reply = await call(hub.base, `/v1/groups/jobs/pending?${query}`, 'ops-key-1234567');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 'INVALID_QUERY', details: { parameter } } });
  });

  it('an oversized group name is refused or unknown, never a crash', async () => {
    const name = 'g'.repeat(10_000);
    const reply = await fetch(`${hub.base}/v1/groups/${name}/members`, {
      headers: { authorization: 'Bearer ops-key-1234567' },
    });
    expect([404, 414, 431]).toContain(reply.status);
  });
});
