import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteLog } from '../../src/backends/sqlite/index.js';
import type { EventLog } from '../../src/log/types.js';
import { waitFor } from '../../src/testing/wait-for.js';
import { startHub, type TestHub } from '../helpers/sse-hub.js';
import { call, send, bearer } from './helpers/http.js';

// The attack as it was seen: a key limited to orders.> pulled the payments team's group with
// its own types, got a redelivered payments event and rewrote the group's options.
const KEYS = [
  { name: 'payments', key: 'payments-key-1', publish: ['payments.>'], subscribe: ['payments.>'] },
  { name: 'orders', key: 'orders-key-123', publish: ['orders.>'], subscribe: ['orders.>'] },
  { name: 'both', key: 'both-key-1234', subscribe: ['orders.>', 'payments.>'] },
  { name: 'ops', key: 'ops-key-12345', admin: true },
];

let hub: TestHub;
let log: EventLog;
let path: string;
const url = (path: string) => `${hub.base}${path}`;
const pull = (group: string, token: string, body: unknown = {}) =>
  send(url(`/v1/groups/${group}/pull`), body, token);
const options = async (group: string) =>
  (await call(url(`/v1/groups/${group}`), { headers: bearer('ops-key-12345') })).body.options as {
    types: string[];
    ackWaitMs: number;
  };

beforeAll(async () => {
  path = join(mkdtempSync(join(tmpdir(), 'herald-authz-')), 'events.db');
  log = await sqliteLog({ path, durability: 'os' });
  hub = await startHub({ log, auth: { keys: KEYS } });
});
afterAll(async () => {
  await hub.app.close();
  await log.close();
});

describe('consumer groups over HTTP: options stay the creator’s', () => {
  beforeAll(async () => {
    const created = await pull('billing', 'payments-key-1', {
      types: ['payments.>'],
      ackWaitMs: 100,
      startAt: 'start',
    });
    expect(created.status).toBe(200);
    await send(url('/v1/events'), { type: 'payments.captured', data: { card: '4111' } }, 'payments-key-1');
    // Delivered to the payments member and never acked: due again after 100 ms.
    const first = await pull('billing', 'payments-key-1', { max: 1, waitMs: 2_000 });
    expect(first.body.deliveries).toHaveLength(1);
  });

  it('refuses a key that may not read the group’s types, with its own types or none, and leaks nothing', async () => {
    for (const body of [{ types: ['orders.>'] }, {}, { types: ['orders.>'], ackWaitMs: 999_999 }]) {
      const reply = await pull('billing', 'orders-key-123', { ...body, max: 10, waitMs: 300 });
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('FORBIDDEN');
      expect(JSON.stringify(reply.body)).not.toContain('4111');
    }
    expect(await options('billing')).toMatchObject({ types: ['payments.>'], ackWaitMs: 100 });
  });

  it('answers 409 GROUP_OPTIONS_CONFLICT to a reader whose pull asks for other options', async () => {
    const reply = await pull('billing', 'both-key-1234', { types: ['orders.>', 'payments.>'] });
    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatchObject({
      code: 'GROUP_OPTIONS_CONFLICT',
      details: { group: 'billing', options: ['types'] },
    });
    const wait = await pull('billing', 'payments-key-1', { ackWaitMs: 5_000 });
    expect(wait.body.error.details.options).toEqual(['ackWaitMs']);
    // The same options, in another order, are no conflict.
    expect((await pull('billing', 'payments-key-1', { types: ['payments.>'], ackWaitMs: 100 })).status).toBe(
      200,
    );
    expect(await options('billing')).toMatchObject({ types: ['payments.>'], ackWaitMs: 100 });
  });

  it('changes options only by PATCH, for a caller covering the old and the new types', async () => {
    const narrow = await send(url('/v1/groups/billing'), { types: ['orders.>'] }, 'orders-key-123', 'PATCH');
    expect(narrow.status).toBe(403);
    const widen = await send(
      url('/v1/groups/billing'),
      { types: ['payments.>', 'audit.>'] },
      'payments-key-1',
      'PATCH',
    );
    expect(widen.status).toBe(403);
    expect(widen.body.error.details.pattern).toBe('audit.>');
    const ok = await send(url('/v1/groups/billing'), { ackWaitMs: 200 }, 'payments-key-1', 'PATCH');
    expect(ok.status).toBe(200);
    expect(ok.body.options).toMatchObject({ types: ['payments.>'], ackWaitMs: 200 });
    const missing = await send(url('/v1/groups/ghost'), { ackWaitMs: 200 }, 'ops-key-12345', 'PATCH');
    expect(missing.status).toBe(404);
    const empty = await send(url('/v1/groups/billing'), {}, 'ops-key-12345', 'PATCH');
    expect(empty.status).toBe(400);
  });

  it('never hands a member an event it may not read, even when another hub widened the group', async () => {
    const made = await pull('shipping', 'orders-key-123', {
      types: ['orders.>'],
      startAt: 'start',
      ackWaitMs: 100,
    });
    expect(made.status).toBe(200);
    // Another hub (another handle on the same database) widens the group; this hub still holds
    // the options it opened the group with.
    const other = await sqliteLog({ path, durability: 'os' });
    await other.group('shipping', { types: ['orders.>', 'payments.>'] });
    await other.close();
    await send(url('/v1/events'), { type: 'payments.refunded', data: { secret: 'p-77' } }, 'payments-key-1');
    await send(url('/v1/events'), { type: 'orders.shipped', data: { id: 'o-9' } }, 'orders-key-123');
    const seen: string[] = [];
    await waitFor(
      async () => {
        const reply = await pull('shipping', 'orders-key-123', { max: 10, waitMs: 200 });
        expect(reply.status).toBe(200);
        for (const d of reply.body.deliveries as { event: { type: string } }[]) seen.push(d.event.type);
        return seen.includes('orders.shipped');
      },
      { timeoutMs: 5_000 },
    );
    expect(seen).not.toContain('payments.refunded');
    // A member that may read it gets it after the ack wait (the withheld delivery was left for it).
    await waitFor(
      async () => {
        const reply = await pull('shipping', 'both-key-1234', { max: 10, waitMs: 200 });
        expect(reply.status).toBe(200);
        return (reply.body.deliveries as { event: { type: string } }[]).some(
          (d) => d.event.type === 'payments.refunded',
        );
      },
      { timeoutMs: 5_000 },
    );
  });
});
