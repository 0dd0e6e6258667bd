import { Pool, type PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendInTransaction, postgresLog } from '../src/backends/postgres/index.js';
import { ConcurrencyError } from '../src/errors/index.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable, uniqueSchema } from './fixtures/postgres-server.js';
import { holdServer } from './fixtures/postgres-server-lock.js';

const unreachable = await postgresUnreachable();
const schema = uniqueSchema('outbox');
let pool: Pool;
let log: EventLog;
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (unreachable !== undefined) return;
  release = await holdServer();
  pool = new Pool({ connectionString: POSTGRES_URL });
  log = await postgresLog({ pool, schema });
  await pool.query(`CREATE TABLE ${schema}.orders (id text PRIMARY KEY, status text NOT NULL)`);
}, 120_000);
afterAll(async () => {
  if (unreachable !== undefined) return;
  await log.close();
  await pool.end();
  await dropSchemas([schema]);
  await release?.();
});

/** Runs `work` in a transaction of the application's own; commits unless it says rollback. */
async function transaction<T>(
  work: (client: PoolClient) => Promise<T>,
  end: 'COMMIT' | 'ROLLBACK',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const value = await work(client);
    await client.query(end);
    return value;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

function follow(from: 'end' | number = 'end'): { seen: StoredEvent[]; stop: () => Promise<void> } {
  const seen: StoredEvent[] = [];
  const tail = log.subscribe({ from });
  const tailing = (async () => {
    for await (const event of tail) seen.push(event);
  })();
  return { seen, stop: async () => void (await tail.close(), await tailing) };
}

describe('the transactional outbox (appendInTransaction)', () => {
  it('an event appended in a transaction that rolls back never existed', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const { last } = await log.bounds();
    const tail = follow();
    const [ghost] = await transaction(async (client) => {
      await client.query(`INSERT INTO ${schema}.orders VALUES ('o-1', 'paid')`);
      return appendInTransaction(client, [{ type: 'order.paid', data: { id: 'o-1' } }], {
        schema,
        stream: 'order-o-1',
      });
    }, 'ROLLBACK');
    expect(ghost).toMatchObject({ position: last + 1, version: 1, duplicate: false });
    expect(await log.get(ghost!.id)).toBeUndefined();
    expect(await log.streamVersion('order-o-1')).toBe(0);
    expect((await pool.query(`SELECT * FROM ${schema}.orders`)).rows).toEqual([]);
    // The next append takes the position the rolled-back one had: no hole for readers to wait on.
    const [next] = await log.append([{ type: 'order.other' }]);
    expect(next!.position).toBe(last + 1);
    await waitFor(() => tail.seen.length === 1);
    await tail.stop();
    expect(tail.seen.map((e) => e.id)).toEqual([next!.id]);
  });

  it('an event appended in a transaction that commits is stored with the row and reaches a live tail', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const tail = follow();
    const appended = await transaction(async (client) => {
      await client.query(`INSERT INTO ${schema}.orders VALUES ('o-2', 'paid')`);
      const events = [{ type: 'order.paid', data: { id: 'o-2' } }];
      const result = await appendInTransaction(client, events, {
        schema,
        stream: 'order-o-2',
        expectedVersion: 'no_stream',
      });
      // Not visible outside the transaction before it commits.
      expect(await log.get(result[0]!.id)).toBeUndefined();
      return result;
    }, 'COMMIT');
    await waitFor(() => tail.seen.length === 1, { message: 'the committed event did not reach the tail' });
    await tail.stop();
    expect(tail.seen[0]).toMatchObject({
      id: appended[0]!.id,
      stream: 'order-o-2',
      version: 1,
      data: { id: 'o-2' },
    });
    expect((await pool.query(`SELECT status FROM ${schema}.orders WHERE id = 'o-2'`)).rows).toEqual([
      { status: 'paid' },
    ]);
  });

  it('orders outbox appends with the log’s own: a waiting append gets the next position at commit', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    let waiting: Promise<unknown> | undefined;
    const [outbox] = await transaction(async (client) => {
      const result = await appendInTransaction(client, [{ type: 'order.first' }], { schema });
      waiting = log.append([{ type: 'order.second' }]);
      return result;
    }, 'COMMIT');
    const [second] = (await waiting) as { position: number }[];
    expect(second!.position).toBe(outbox!.position + 1);
  });

  it('a version conflict throws before writing and leaves the transaction usable', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    await log.append([{ type: 'order.created' }], { stream: 'order-o-3' });
    await transaction(async (client) => {
      const error = await appendInTransaction(client, [{ type: 'order.created' }], {
        schema,
        stream: 'order-o-3',
        expectedVersion: 'no_stream',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      await client.query(`INSERT INTO ${schema}.orders VALUES ('o-3', 'created')`);
    }, 'COMMIT');
    expect(await log.streamVersion('order-o-3')).toBe(1);
    expect((await pool.query(`SELECT id FROM ${schema}.orders WHERE id = 'o-3'`)).rows).toHaveLength(1);
  });

  it('refuses a client outside a transaction, and a schema without a log', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const client = await pool.connect();
    try {
      const outside = await appendInTransaction(client, [{ type: 'order.x' }], { schema }).catch(
        (e: unknown) => e,
      );
      expect(outside).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'client' } });
      await client.query('BEGIN');
      const missing = await appendInTransaction(client, [{ type: 'order.x' }], {
        schema: `${schema}_none`,
      }).catch((e: unknown) => e);
      await client.query('ROLLBACK');
      expect(missing).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'schema' } });
    } finally {
      client.release();
    }
    const stored: StoredEvent[] = [];
    for await (const event of log.read({ types: ['order.x'] })) stored.push(event);
    expect(stored).toEqual([]);
  });
});
