import { describe, expect, it } from 'vitest';
import { ADMIN_HUB_LOGS, READER, statusAndCode, useAdminHub } from './helpers/admin-hub.js';
import { call } from './security/helpers/http.js';

// `GET /v1/groups/{name}/pending`, and `GET .../dead-letters` with `after` and `normalisedError`,
// on real hubs with auth (an admin key and a reader key) over the memory log and SQLite.
const TIMEOUT = 'timeout after <n> ms on order <id>';
const DECLINED = 'card <n> declined';

interface Pending {
  event: { position: number; id: string; type: string };
  deliveries: number;
  error: string | null;
  dueAt: string;
}

interface DeadLetter {
  event: { position: number };
  deliveries: number;
  error: string | null;
  normalisedError: string | null;
  at: string;
}

describe.each(ADMIN_HUB_LOGS)('pending deliveries and dead-letter pages over %s', (_name, open) => {
  const admin = useAdminHub(open);
  const { get, post } = admin;
  const code = statusAndCode;

  /** A group `name` starting at `count` new events, all pulled (ack wait 60 s). */
  async function pulledGroup(name: string, count: number) {
    const appended = await admin.log.append(
      Array.from({ length: count }, (_, i) => ({ type: 'job.run', data: { i } })),
    );
    const group = await admin.log.group(name, { startAt: appended[0]!.position, ackWaitMs: 60_000 });
    const deliveries = await group.pull({ max: count });
    expect(deliveries.length).toBe(count);
    return { positions: appended.map((a) => a.position), deliveries, pulledAt: Date.now() };
  }

  it('lists in-hands and nacked deliveries with counts, last error and due time; acked ones leave', async () => {
    const { positions, deliveries, pulledAt } = await pulledGroup('workers', 3);
    await deliveries[1]!.nack({ delayMs: 600_000, error: new Error('not yet') });
    const reply = await get('/v1/groups/workers/pending');
    expect(reply.status).toBe(200);
    const pending = reply.body.pending as Pending[];
    expect(pending.map((p) => [p.event.position, p.deliveries, p.error])).toEqual([
      [positions[0], 1, null],
      [positions[1], 1, expect.stringContaining('not yet')],
      [positions[2], 1, null],
    ]);
    expect(pending[0]!.event).toMatchObject({ type: 'job.run', id: deliveries[0]!.event.id });
    // The ack deadline for those in hands, the nack's delay for the other.
    expect(Math.abs(Date.parse(pending[0]!.dueAt) - (pulledAt + 60_000))).toBeLessThan(5_000);
    expect(Math.abs(Date.parse(pending[1]!.dueAt) - (pulledAt + 600_000))).toBeLessThan(5_000);
    await deliveries[0]!.ack();
    await deliveries[2]!.ack();
    const left = (await get('/v1/groups/workers/pending')).body.pending as Pending[];
    expect(left.map((p) => p.event.position)).toEqual([positions[1]]);
  });

  it('pages with after and limit, and refuses a bad one with 400 INVALID_QUERY naming it', async () => {
    const { positions } = await pulledGroup('paged', 5);
    const page = async (query: string) =>
      ((await get(`/v1/groups/paged/pending${query}`)).body.pending as Pending[]).map(
        (p) => p.event.position,
      );
    expect(await page('?limit=2')).toEqual(positions.slice(0, 2));
    expect(await page(`?limit=2&after=${positions[1]}`)).toEqual(positions.slice(2, 4));
    expect(await page(`?after=${positions[3]}&limit=1000`)).toEqual(positions.slice(4));
    expect(await page(`?after=${positions[4]}`)).toEqual([]);
    const bad: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['after=-1', 'after'],
      ['after=1.5', 'after'],
      ['after=9007199254740992', 'after'],
    ];
    for (const [query, parameter] of bad) {
      for (const route of ['pending', 'dead-letters']) {
        const reply = await get(`/v1/groups/paged/${route}?${query}`);
        expect(code(reply), `${route}?${query}`).toEqual([400, 'INVALID_QUERY']);
        expect(reply.body.error.details).toMatchObject({ parameter });
      }
    }
    expect(code(await get('/v1/groups/ghost/pending'))).toEqual([404, 'NOT_FOUND']);
    expect(await admin.log.groups()).not.toContain('ghost');
  });

  it('pages dead letters with after, each with its normalised error, to redrive one error in chunks', async () => {
    const appended = await admin.log.append(
      Array.from({ length: 7 }, (_, i) => ({ type: 'order.placed', data: { i } })),
    );
    const group = await admin.log.group('billing', { startAt: appended[0]!.position, maxDeliveries: 1 });
    const timeouts: number[] = [];
    for (const [i, delivery] of (await group.pull({ max: 7 })).entries()) {
      if (i % 2 === 0) {
        timeouts.push(delivery.event.position);
        await delivery.nack({
          error: new Error(`timeout after ${100 + i} ms on order ${crypto.randomUUID()}`),
        });
      } else await delivery.nack({ error: new Error(`card ${4000 + i} declined`) });
    }
    // Page through with limit 2, redriving each page's timeouts by position as it goes.
    const seen: DeadLetter[] = [];
    let after = 0;
    for (;;) {
      const reply = await get(`/v1/groups/billing/dead-letters?limit=2&after=${after}`);
      expect(reply.status).toBe(200);
      const page = reply.body.deadLetters as DeadLetter[];
      if (page.length === 0) break;
      seen.push(...page);
      after = page.at(-1)!.event.position;
      const chunk = page.filter((d) => d.normalisedError === TIMEOUT).map((d) => d.event.position);
      if (chunk.length > 0) {
        expect((await post('/v1/groups/billing/dead-letters/redrive', { positions: chunk })).body).toEqual({
          redriven: chunk.length,
        });
      }
    }
    expect(seen.map((d) => d.event.position)).toEqual(appended.map((a) => a.position));
    expect(seen.map((d) => d.normalisedError)).toEqual([
      TIMEOUT,
      DECLINED,
      TIMEOUT,
      DECLINED,
      TIMEOUT,
      DECLINED,
      TIMEOUT,
    ]);
    expect(seen[0]!.error).toContain('timeout after 100 ms on order');
    const errors = (await get('/v1/groups/billing/dead-letters/errors')).body.errors as { error: string }[];
    expect(errors.map((e) => e.error)).toEqual([DECLINED]);
    // The redriven ones wait to be delivered again, counted afresh.
    const pending = (await get('/v1/groups/billing/pending')).body.pending as Pending[];
    expect(pending.map((p) => [p.event.position, p.deliveries, p.error])).toEqual(
      timeouts.map((position) => [position, 0, null]),
    );
    const silent = await admin.log.append([{ type: 'order.placed' }]);
    await admin.log.group('quiet', { startAt: silent[0]!.position, maxDeliveries: 1 });
    for (const d of await (await admin.log.group('quiet')).pull()) await d.nack();
    const [quiet] = (await get('/v1/groups/quiet/dead-letters')).body.deadLetters as DeadLetter[];
    expect(quiet).toMatchObject({ error: null, normalisedError: null });
  });

  it('answers 403 to a key that is not an admin and 401 to no token', async () => {
    await pulledGroup('guarded-pending', 1);
    for (const path of [
      '/v1/groups/guarded-pending/pending',
      '/v1/groups/ghost/pending',
      '/v1/groups/guarded-pending/dead-letters?after=1',
    ]) {
      const reply = await get(path, READER);
      expect(code(reply), path).toEqual([403, 'FORBIDDEN']);
      expect(reply.body.error.message).toContain('is not an admin');
    }
    expect(code(await call(`${admin.hub.base}/v1/groups/guarded-pending/pending`))).toEqual([
      401,
      'UNAUTHORIZED',
    ]);
  });
});
