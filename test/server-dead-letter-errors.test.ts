import { describe, expect, it } from 'vitest';
import { normaliseError } from '../src/server/groups/normalise-error.js';
import { ADMIN_HUB_LOGS, READER, statusAndCode, useAdminHub } from './helpers/admin-hub.js';
import { call } from './security/helpers/http.js';

// `GET /v1/groups/{name}/dead-letters/errors` and `POST .../redrive` with `{"error"}`, on real hubs
// with auth (an admin key and a reader key) over the memory log and SQLite.
const TIMEOUT = 'timeout after <n> ms on order <id>';
const DECLINED = 'card <n> declined at <time>';

interface ErrorGroup {
  error: string | null;
  count: number;
  firstDeadAt: string;
  lastDeadAt: string;
  positions: number[];
  example: string | null;
}

describe.each(ADMIN_HUB_LOGS)('dead letters grouped by error over %s', (_name, open) => {
  const admin = useAdminHub(open);
  const { get, post } = admin;
  const code = statusAndCode;

  /**
   * A group `name` whose handler fails every event once (maxDeliveries 1): `timeout after N ms on
   * order <uuid>` for `timeouts` events, `card N declined at <time>` for `declines`, then one
   * nacked with no error. Returns the positions of each kind.
   */
  async function failingGroup(
    name: string,
    timeouts: number,
    declines: number,
  ): Promise<{ timeouts: number[]; declines: number[]; silent: number[] }> {
    const total = timeouts + declines + 1;
    const appended = await admin.log.append(
      Array.from({ length: total }, (_, i) => ({ type: 'order.placed', data: { i } })),
    );
    const group = await admin.log.group(name, { startAt: appended[0]!.position, maxDeliveries: 1 });
    const deliveries = await group.pull({ max: total });
    expect(deliveries.length).toBe(total);
    const out = { timeouts: [] as number[], declines: [] as number[], silent: [] as number[] };
    for (const [i, delivery] of deliveries.entries()) {
      const { position } = delivery.event;
      if (i < timeouts) {
        out.timeouts.push(position);
        const error = new Error(`timeout after ${1_000 + i * 17} ms on order ${crypto.randomUUID()}`);
        await delivery.nack({ error });
      } else if (i < timeouts + declines) {
        out.declines.push(position);
        const at = new Date(Date.now() - i * 60_000).toISOString();
        await delivery.nack({ error: new Error(`card ${4111 + i} declined at ${at}`) });
      } else {
        out.silent.push(position);
        await delivery.nack();
      }
    }
    return out;
  }

  it('groups them by normalised error with counts, first and last times and sample positions', async () => {
    const positions = await failingGroup('billing', 4, 2);
    const reply = await get('/v1/groups/billing/dead-letters/errors');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ scanned: 7, truncated: false });
    const errors = reply.body.errors as ErrorGroup[];
    expect(errors.map((e) => [e.error, e.count, e.positions])).toEqual([
      [TIMEOUT, 4, positions.timeouts],
      [DECLINED, 2, positions.declines],
      [null, 1, positions.silent],
    ]);
    for (const e of errors) {
      expect(Date.parse(e.firstDeadAt)).toBeLessThanOrEqual(Date.parse(e.lastDeadAt));
      expect(Math.abs(Date.parse(e.lastDeadAt) - Date.now())).toBeLessThan(60_000);
      // The example is one of the group's own raw errors.
      expect(e.example === null ? null : normaliseError(e.example)).toBe(e.error);
    }
  });

  it('reads at most limit dead letters and says when there were more', async () => {
    await failingGroup('limited', 3, 3);
    const reply = await get('/v1/groups/limited/dead-letters/errors?limit=4');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ scanned: 4, truncated: true });
    expect((reply.body.errors as ErrorGroup[]).map((e) => [e.error, e.count])).toEqual([
      [TIMEOUT, 3],
      [DECLINED, 1],
    ]);
    expect((await get('/v1/groups/limited/dead-letters/errors?limit=7')).body).toMatchObject({
      scanned: 7,
      truncated: false,
    });
    for (const limit of ['0', '100001', 'ten', '-1']) {
      const bad = await get(`/v1/groups/limited/dead-letters/errors?limit=${limit}`);
      expect(code(bad)).toEqual([400, 'INVALID_QUERY']);
      expect(bad.body.error.details).toMatchObject({ parameter: 'limit' });
    }
    expect(code(await get('/v1/groups/ghost/dead-letters/errors'))).toEqual([404, 'NOT_FOUND']);
    expect(await admin.log.groups()).not.toContain('ghost');
  });

  it('redrives exactly the dead letters of one error, and a member receives only those', async () => {
    const positions = await failingGroup('redrive-by-error', 3, 2);
    const reply = await post('/v1/groups/redrive-by-error/dead-letters/redrive', { error: TIMEOUT });
    expect([reply.status, reply.body]).toEqual([200, { redriven: 3, truncated: false }]);
    const group = await admin.log.group('redrive-by-error');
    const again = await group.pull({ max: 10 });
    expect(again.map((d) => d.event.position)).toEqual(positions.timeouts);
    for (const delivery of again) await delivery.ack();
    const left = (await get('/v1/groups/redrive-by-error/dead-letters/errors')).body.errors as ErrorGroup[];
    expect(left.map((e) => [e.error, e.count])).toEqual([
      [DECLINED, 2],
      [null, 1],
    ]);
    // `null`: the dead letters with no error; an error no dead letter has: none.
    expect((await post('/v1/groups/redrive-by-error/dead-letters/redrive', { error: null })).body).toEqual({
      redriven: 1,
      truncated: false,
    });
    expect((await group.pull({ max: 10 })).map((d) => d.event.position)).toEqual(positions.silent);
    expect(
      (await post('/v1/groups/redrive-by-error/dead-letters/redrive', { error: 'timeout after 5 ms' })).body,
    ).toEqual({ redriven: 0, truncated: false });
    // The raw (not normalised) message matches nothing: the match is exact.
    expect(
      (await post('/v1/groups/redrive-by-error/dead-letters/redrive', { error: 'card 4111 declined' })).body
        .redriven,
    ).toBe(0);
    expect((await get('/v1/groups/redrive-by-error')).body).toMatchObject({ deadLetters: 2 });
  });

  it('keeps redrive by positions and of every dead letter as it was', async () => {
    const positions = await failingGroup('redrive-classic', 1, 1);
    const one = await post('/v1/groups/redrive-classic/dead-letters/redrive', {
      positions: [positions.declines[0]],
    });
    expect([one.status, one.body]).toEqual([200, { redriven: 1 }]);
    const rest = await post('/v1/groups/redrive-classic/dead-letters/redrive', undefined);
    expect([rest.status, rest.body]).toEqual([200, { redriven: 2 }]);
  });

  it('refuses error with positions, a malformed error, and error on purge, touching nothing', async () => {
    await failingGroup('redrive-bad', 1, 1);
    const both = await post('/v1/groups/redrive-bad/dead-letters/redrive', {
      error: TIMEOUT,
      positions: [1],
    });
    expect(code(both)).toEqual([400, 'INVALID_QUERY']);
    expect(both.body.error.message).toMatch(/"positions".*"error"/);
    expect(both.body.error.details).toMatchObject({ parameter: 'error', fields: ['positions', 'error'] });
    for (const error of [5, ['x'], { a: 1 }, 'x'.repeat(501)]) {
      const bad = await post('/v1/groups/redrive-bad/dead-letters/redrive', { error });
      expect(code(bad)).toEqual([400, 'INVALID_QUERY']);
      expect(bad.body.error.details).toMatchObject({ parameter: 'error' });
    }
    const purge = await post('/v1/groups/redrive-bad/dead-letters/purge', { error: TIMEOUT });
    expect(code(purge)).toEqual([400, 'INVALID_QUERY']);
    expect(purge.body.error.details).toMatchObject({ parameter: 'error' });
    expect(code(await post('/v1/groups/ghost/dead-letters/redrive', { error: TIMEOUT }))).toEqual([
      404,
      'NOT_FOUND',
    ]);
    expect((await get('/v1/groups/redrive-bad')).body).toMatchObject({ deadLetters: 3 });
  });

  it('answers 403 to a key that is not an admin and 401 to no token, and redrives nothing', async () => {
    await failingGroup('guarded-errors', 2, 0);
    const list = await get('/v1/groups/guarded-errors/dead-letters/errors', READER);
    expect(code(list)).toEqual([403, 'FORBIDDEN']);
    expect(list.body.error.message).toContain('is not an admin');
    // Refused before anything else: a non-admin learns nothing about which groups exist.
    expect(code(await get('/v1/groups/ghost/dead-letters/errors', READER))).toEqual([403, 'FORBIDDEN']);
    const redrive = await post('/v1/groups/guarded-errors/dead-letters/redrive', { error: TIMEOUT }, READER);
    expect(code(redrive)).toEqual([403, 'FORBIDDEN']);
    const anonymous = await call(`${admin.hub.base}/v1/groups/guarded-errors/dead-letters/errors`);
    expect(code(anonymous)).toEqual([401, 'UNAUTHORIZED']);
    expect((await get('/v1/groups/guarded-errors')).body).toMatchObject({ deadLetters: 3 });
  });
});
