import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import type { PgContext } from '../src/backends/postgres/log-context.js';
import { migrate } from '../src/backends/postgres/migrate.js';
import { PgScheduleStore } from '../src/backends/postgres/schedule-store.js';
import { SchemaSql } from '../src/backends/postgres/sql-file.js';
import type { HeraldEvent } from '../src/event/types.js';
import type { ScheduleEntry } from '../src/log/kit/schedule.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { bundlePostgresFixture } from './fixtures/postgres-bundle.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable, uniqueSchema } from './fixtures/postgres-server.js';
import { holdServer } from './fixtures/postgres-server-lock.js';

const unreachable = await postgresUnreachable();
const schemas = new Set<string>();
const logs: EventLog[] = [];
let pool: Pool;
let release: (() => Promise<void>) | undefined;
const dir = mkdtempSync(join(tmpdir(), 'herald-pg-sched-'));
let child = '';

beforeAll(async () => {
  if (unreachable !== undefined) return;
  release = await holdServer();
  pool = new Pool({ connectionString: POSTGRES_URL, max: 4 });
  pool.on('error', () => undefined);
  child = await bundlePostgresFixture('postgres-schedule-child', dir);
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (unreachable !== undefined) return;
  await Promise.all(logs.map((log) => log.close()));
  await pool.end();
  await dropSchemas(schemas);
  await release?.();
});

/** A store on a new schema, over the test's pool (what the store needs of the log: its statements and `query`). */
async function store(): Promise<{ store: PgScheduleStore; sql: SchemaSql }> {
  const schema = uniqueSchema('sched');
  schemas.add(schema);
  const sql = new SchemaSql(schema);
  await migrate(pool, sql);
  const ctx = { sql, query: (config: never) => pool.query(config) } as unknown as PgContext;
  return { store: new PgScheduleStore(ctx), sql };
}

function entry(id: string, dueAt: number, data: unknown = {}): ScheduleEntry {
  const event = { specversion: '1.0', id, source: '/t', type: 'sched.a', data } as HeraldEvent;
  return { id, dueAt, event, stream: undefined };
}

async function open(schema: string, options: Parameters<typeof postgresLog>[0] = {}): Promise<EventLog> {
  schemas.add(schema);
  const log = await postgresLog({ pool, schema, ...options });
  logs.push(log);
  return log;
}

/** Starts the child in `mode`, waits for its `READY`, kills it with SIGKILL; returns its lines. */
function runKilled(mode: 'schedule' | 'claim', schema: string, count: number): Promise<string[]> {
  const proc = spawn(process.execPath, [child, mode, POSTGRES_URL, schema, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('READY\n')) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(stdout.split('\n').filter((line) => line !== 'READY' && line !== ''));
      else reject(new Error(`the child ended with ${code}: ${stderr}`));
    });
  });
}

describe('postgres schedule store', () => {
  it('claims due entries once, in due order, and again only after the lease ran out', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const { store: s } = await store();
    const now = Date.now();
    expect(
      await s.add([
        entry('b', now - 10),
        entry('a', now - 10),
        entry('c', now - 20),
        entry('z', now + 60_000),
      ]),
    ).toEqual([undefined, undefined, undefined, undefined]);
    const [first, second] = await Promise.all([s.claim(now, 2, 200), s.claim(now, 2, 200)]);
    const taken = [...first, ...second].map((e) => e.id);
    expect(taken.sort()).toEqual(['a', 'b', 'c']);
    expect((first.length === 2 ? first : second).map((e) => e.id)).toEqual(['c', 'a']);
    // Taken is for good: no cancel; listed until completed; the lease end is the next due time.
    expect(await s.cancel('a')).toBe(false);
    expect((await s.list(10, undefined)).map((e) => e.id)).toEqual(['c', 'a', 'b', 'z']);
    const next = await s.nextDue();
    expect(next).toBeGreaterThan(Date.now() - 50);
    expect(next).toBeLessThan(Date.now() + 400);
    expect(await s.claim(Date.now(), 10, 200)).toEqual([]);
    await s.complete(['c']);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await s.claim(Date.now(), 10, 60_000)).map((e) => e.id)).toEqual(['a', 'b']);
    await s.complete(['a', 'b']);
    expect(await s.nextDue()).toBeGreaterThan(Date.now() + 50_000);
    expect(await s.cancel('z')).toBe(true);
    expect(await s.nextDue()).toBeUndefined();
  });

  it('reports a pending id with its due time, and its own row (a retried add) as stored', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const { store: s } = await store();
    const due = Date.now() + 60_000;
    const original = entry('x', due, { nul: 'a\u0000b', lone: 'x\ud800y' });
    expect(await s.add([original])).toEqual([undefined]);
    expect(await s.add([original])).toEqual([undefined]);
    expect(await s.add([entry('y', due + 5), entry('x', due + 1)])).toEqual([undefined, due]);
    const [listed] = await s.list(1, undefined);
    expect(listed).toEqual(original);
    expect((await s.list(10, { dueAt: due, id: 'x' })).map((e) => e.id)).toEqual(['y']);
  });

  it('claims through the index: the cost does not grow with the number pending', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const { store: s, sql } = await store();
    const now = Date.now();
    await pool.query(
      `INSERT INTO ${sql.quoted}.scheduled_events (id, due_at, event)
       SELECT 'p' || g, $1::bigint + g, '{}'::json FROM generate_series(1, 50000) AS g`,
      [now + 3_600_000],
    );
    await pool.query(`ANALYZE ${sql.quoted}.scheduled_events`);
    await s.add(Array.from({ length: 5 }, (_, i) => entry(`due-${i}`, now - 1000)));
    const args: Record<string, unknown[]> = {
      'schedule-claim': [100, 30_000],
      'schedule-complete': [['due-0', 'due-1']],
      'schedule-next-due': [],
      'schedule-list': [now, '', 100],
    };
    for (const [name, values] of Object.entries(args)) {
      const query = sql.query(name, values);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ 'QUERY PLAN': string }>({
          text: `EXPLAIN ${query.text}`,
          values: query.values,
        });
        await client.query('ROLLBACK');
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        expect(plan, name).not.toMatch(/Seq Scan/);
      } finally {
        client.release();
      }
    }
    expect((await s.claim(Date.now(), 100, 30_000)).map((e) => e.id)).toEqual(
      Array.from({ length: 5 }, (_, i) => `due-${i}`),
    );
  });

  it('wakes a mover in another log object when something it did not schedule is due', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('sched');
    const scheduler = await open(schema, { scheduler: { move: false } });
    // Without the notification it would look only once a minute.
    const mover = await open(schema, { scheduler: { pollMs: 60_000 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [s] = await scheduler.schedule([{ type: 'sched.a', data: {} }], { delayMs: 300 });
    const due = Date.parse(s!.deliverAt);
    const stored = await waitFor(() => mover.get(s!.id), { timeoutMs: 5_000 });
    const lateness = Date.parse(stored!.recordedat) - due;
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(1_000);
  });

  it('closes with a move in progress without losing it', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('sched');
    const log = await open(schema);
    const scheduled = await log.schedule(
      Array.from({ length: 200 }, (_, i) => ({ type: 'sched.a', data: { i } })),
      { delayMs: 0 },
    );
    await log.close();
    const again = await open(schema);
    const ids = scheduled.map((s) => s.id);
    await waitFor(async () => (await Promise.all(ids.map((id) => again.get(id)))).every(Boolean), {
      timeoutMs: 5_000,
      message: 'not every scheduled event was appended',
    });
  });

  it('refuses a scheduler option that is not an object', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    await expect(postgresLog({ pool, scheduler: 5 as never })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    const schema = uniqueSchema('sched');
    schemas.add(schema);
    await expect(postgresLog({ pool, schema, scheduler: { batch: 0 } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });

  it('moves what a killed process scheduled, each event once', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('sched');
    schemas.add(schema);
    const ids = (await runKilled('schedule', schema, 50)).map((line) => line.slice(2));
    expect(ids).toHaveLength(50);
    const mover = await open(schema);
    await waitFor(async () => (await Promise.all(ids.map((id) => mover.get(id)))).every(Boolean), {
      timeoutMs: 10_000,
      message: 'not every event the killed process scheduled was appended',
    });
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${new SchemaSql(schema).quoted}.events WHERE id = ANY ($1::text[])`,
      [ids],
    );
    expect(rows[0]!.n).toBe(50);
    expect(await mover.scheduled()).toEqual([]);
  });

  it('appends what a killed mover had claimed once its lease ran out, each event once', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('sched');
    schemas.add(schema);
    const ids = (await runKilled('claim', schema, 20)).map((line) => line.slice(2));
    expect(ids).toHaveLength(20);
    const quoted = new SchemaSql(schema).quoted;
    const lease = (
      await pool.query<{ until: number }>(
        `SELECT max(lease_until)::float8 AS until FROM ${quoted}.scheduled_events`,
      )
    ).rows[0]!.until;
    // Taken is for good: the claim holds even though its process is gone.
    const other = await open(schema, { scheduler: { move: false } });
    for (const id of ids.slice(0, 5)) expect(await other.cancelScheduled(id)).toBe(false);
    const mover = await open(schema);
    await waitFor(async () => (await Promise.all(ids.map((id) => mover.get(id)))).every(Boolean), {
      timeoutMs: 10_000,
      message: "the killed mover's events were not appended after its lease",
    });
    const { rows } = await pool.query<{ n: number; first: number }>(
      `SELECT count(*)::int AS n, min(floor(extract(epoch FROM recorded_at) * 1000))::float8 AS first
       FROM ${quoted}.events WHERE id = ANY ($1::text[])`,
      [ids],
    );
    expect(rows[0]!.n).toBe(20);
    expect(rows[0]!.first).toBeGreaterThanOrEqual(lease);
  });
});
