import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { startProxy, type PostgresProxy } from './fixtures/postgres-proxy.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable, uniqueSchema } from './fixtures/postgres-server.js';
import { holdServer } from './fixtures/postgres-server-lock.js';

const unreachable = await postgresUnreachable();
const schemas = new Set<string>();
const logs: EventLog[] = [];
let admin: Client;
let proxy: PostgresProxy;
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (unreachable !== undefined) return;
  release = await holdServer();
  admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  proxy = await startProxy(POSTGRES_URL);
}, 120_000);
afterAll(async () => {
  if (unreachable !== undefined) return;
  await proxy.restore();
  await Promise.all(logs.map((log) => log.close()));
  await proxy.close();
  await admin.end();
  await dropSchemas(schemas);
  await release?.();
});

async function open(schema: string, options: Omit<Parameters<typeof postgresLog>[0], 'schema'> = {}) {
  schemas.add(schema);
  const log = await postgresLog({ connectionString: POSTGRES_URL, ...options, schema });
  logs.push(log);
  return log;
}

/** Follows `log` from the start, checking that no position is skipped. */
function follow(log: EventLog): { seen: StoredEvent[]; skips: string[]; stop: () => Promise<void> } {
  const seen: StoredEvent[] = [];
  const skips: string[] = [];
  const tail = log.subscribe({ from: 'start' });
  const tailing = (async () => {
    for await (const event of tail) {
      const expected = (seen.at(-1)?.position ?? 0) + 1;
      if (event.position !== expected) skips.push(`${expected} -> ${event.position}`);
      seen.push(event);
    }
  })();
  return { seen, skips, stop: async () => void (await tail.close(), await tailing) };
}

// Far beyond every wait below: only notifications (or a reconnection) can wake readers in time.
const NO_POLL = 600_000;

describe('postgres log connections', () => {
  it('tails and waiting pulls go on when their listening connection is terminated', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('listen');
    const reader = await open(schema, { pollIntervalMs: NO_POLL });
    const writer = await open(schema);
    const tail = follow(reader);
    await writer.append([{ type: 'conn.a', data: 1 }]);
    await waitFor(() => tail.seen.length === 1);

    const listening = `LISTEN "herald.${schema}"`;
    const killed = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1',
      [listening],
    );
    expect(killed.rowCount).toBe(2);
    const group = await reader.group('g', { startAt: 'start' });
    await writer.append([{ type: 'conn.a', data: 2 }]);
    // Missed while the listener was down: the reconnection makes every reader look again.
    await waitFor(() => tail.seen.length === 2, { message: 'the tail did not resume' });
    await waitFor(
      async () =>
        (await admin.query('SELECT 1 FROM pg_stat_activity WHERE query = $1', [listening])).rowCount === 2,
    );
    const pulling = group.pull({ max: 10, waitMs: NO_POLL });
    expect((await pulling).map((d) => d.event.data)).toEqual([1, 2]);
    const waiting = group.pull({ waitMs: NO_POLL });
    await writer.append([{ type: 'conn.a', data: 3 }]);
    await waitFor(() => tail.seen.length === 3, { message: 'notifications did not come back' });
    expect((await waiting).map((d) => d.event.data)).toEqual([3]);
    await tail.stop();
    expect(tail.skips).toEqual([]);
  });

  it('fails an append with LOG_UNREACHABLE while the server is out of reach, then goes on with no gap', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('cut');
    schemas.add(schema);
    const cut = await postgresLog({
      connectionString: proxy.url,
      schema,
      retryTimeoutMs: 300,
      pollIntervalMs: NO_POLL,
    });
    logs.push(cut);
    const direct = await open(schema);
    const tail = follow(cut);
    await cut.append([{ type: 'conn.b', data: 1 }]);
    await waitFor(() => tail.seen.length === 1);

    await proxy.cut();
    const error = await cut.append([{ type: 'conn.b', data: 'lost?' }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOG_UNREACHABLE' });
    expect((error as Error).message).toContain('appending the same events again');
    // Other processes go on meanwhile.
    await direct.append([
      { type: 'conn.b', data: 2 },
      { type: 'conn.b', data: 3 },
    ]);

    await proxy.restore();
    await waitFor(() => tail.seen.some((e) => e.data === 3), {
      message: 'the tail did not catch up',
      timeoutMs: 10_000,
    });
    const [after] = await cut.append([{ type: 'conn.b', data: 4 }]);
    await waitFor(() => tail.seen.some((e) => e.data === 4));
    await tail.stop();
    expect(tail.skips).toEqual([]);
    expect(tail.seen.map((e) => e.data)).toEqual([1, 2, 3, 4]);
    expect(after!.position).toBe(4);
  });

  it('retries through connections the server terminated: the caller sees nothing', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('kill');
    const log = await open(schema);
    await log.append([{ type: 'conn.c', data: 1 }]);
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
         AND (query LIKE '%' || $1 || '%')`,
      [schema],
    );
    expect(killed.rowCount).toBeGreaterThan(0);
    const [next] = await log.append([{ type: 'conn.c', data: 2 }]);
    expect(next!.position).toBe(2);
    expect(await log.streamVersion('none')).toBe(0);
  });
});
