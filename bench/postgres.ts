/**
 * The PostgreSQL log against raw `pg` on the same server (127.0.0.1:5432 unless
 * `HERALD_BENCH_POSTGRES_URL` says otherwise), in a schema of its own, dropped at the end:
 * (a) batches of 1,000 events vs raw 1,000-row INSERT transactions;
 * (b) concurrent producers each awaiting single appends (group commit) vs raw one-row
 *     transactions, one client at a time and from a pool of concurrent callers;
 * (c) tail wake-up: from `append()` to the event coming out of a live tail, in the same log
 *     object and in another one (the LISTEN/NOTIFY path other processes take).
 */
import { randomUUID } from 'node:crypto';
import { Pool, escapeIdentifier } from 'pg';
import { postgresLog } from '../src/backends/postgres/index.js';
import type { EventLog, LogSubscription } from '../src/log/types.js';
import { measure, printTable, type BenchRow } from './harness.js';

const URL = process.env['HERALD_BENCH_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test';
const ROUNDS = 3;
const BATCH = 1_000;
const BATCHES = 20;
const PRODUCERS = 64;
const SINGLE_APPENDS = 10_000;
const RAW_SINGLE_TX = 1_000;
const WAKEUPS = 500;

const payload = (i: number) => ({ sku: `sku-${i % 1000}`, qty: (i % 7) + 1, price: 19.99 });
const rawEvent = (i: number): [string, string, string] => {
  const id = randomUUID();
  const event = { specversion: '1.0', id, source: 'bench', type: 'order.created', data: payload(i) };
  return [id, 'order.created', JSON.stringify(event)];
};

/** A raw table as a hand-written event table would be: serial position, unique id, JSON. */
async function rawTable(pool: Pool, schema: string, name: string): Promise<string> {
  const table = `${escapeIdentifier(schema)}.${escapeIdentifier(name)}`;
  await pool.query(
    `CREATE TABLE ${table} (position bigserial PRIMARY KEY, id text NOT NULL UNIQUE, type text NOT NULL, event json NOT NULL)`,
  );
  return table;
}

async function batchAppends(pool: Pool, schema: string): Promise<BenchRow[]> {
  const log = await postgresLog({ pool, schema });
  const batch = () => Array.from({ length: BATCH }, (_, i) => ({ type: 'order.created', data: payload(i) }));
  const herald = await measure(
    BATCH * BATCHES,
    async () => {
      for (let i = 0; i < BATCHES; i++) await log.append(batch());
    },
    ROUNDS,
  );
  await log.close();
  const table = await rawTable(pool, schema, 'raw_batch');
  const values = Array.from({ length: BATCH }, (_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`);
  const insertValues = `INSERT INTO ${table} (id, type, event) VALUES ${values.join(', ')}`;
  const insertUnnest = `INSERT INTO ${table} (id, type, event) SELECT * FROM unnest($1::text[], $2::text[], $3::json[])`;
  const rawRun = (unnest: boolean) => async () => {
    const client = await pool.connect();
    try {
      for (let b = 0; b < BATCHES; b++) {
        const rows = Array.from({ length: BATCH }, (_, i) => rawEvent(i));
        await client.query('BEGIN');
        if (unnest)
          await client.query(insertUnnest, [
            rows.map((r) => r[0]),
            rows.map((r) => r[1]),
            rows.map((r) => r[2]),
          ]);
        else await client.query(insertValues, rows.flat());
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
  };
  const rawValues = await measure(BATCH * BATCHES, rawRun(false), ROUNDS);
  const rawUnnest = await measure(BATCH * BATCHES, rawRun(true), ROUNDS);
  return [
    { name: 'herald postgresLog (append of 1,000)', perSecond: herald },
    { name: 'raw pg (1,000-row INSERT ... VALUES transactions)', perSecond: rawValues },
    { name: 'raw pg (1,000-row INSERT ... unnest transactions)', perSecond: rawUnnest },
  ];
}

async function singleAppends(pool: Pool, schema: string): Promise<BenchRow[]> {
  const log = await postgresLog({ pool, schema: `${schema}_single` });
  const per = SINGLE_APPENDS / PRODUCERS;
  const herald = await measure(
    SINGLE_APPENDS,
    () =>
      Promise.all(
        Array.from({ length: PRODUCERS }, async (_, p) => {
          for (let i = 0; i < per; i++) await log.append([{ type: 'order.created', data: payload(p * i) }]);
        }),
      ),
    ROUNDS,
  );
  await log.close();
  const table = await rawTable(pool, schema, 'raw_single');
  const insert = `INSERT INTO ${table} (id, type, event) VALUES ($1, $2, $3)`;
  const oneTx = async (i: number): Promise<void> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(insert, rawEvent(i));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };
  const sequential = await measure(
    RAW_SINGLE_TX,
    async () => {
      for (let i = 0; i < RAW_SINGLE_TX; i++) await oneTx(i);
    },
    ROUNDS,
  );
  const perCaller = (RAW_SINGLE_TX * 4) / PRODUCERS;
  const concurrent = await measure(
    RAW_SINGLE_TX * 4,
    () =>
      Promise.all(
        Array.from({ length: PRODUCERS }, async (_, p) => {
          for (let i = 0; i < perCaller; i++) await oneTx(p * i);
        }),
      ),
    ROUNDS,
  );
  return [
    { name: `herald postgresLog (${PRODUCERS} producers, single appends)`, perSecond: herald },
    { name: 'raw pg (1-row transactions, one at a time)', perSecond: sequential },
    {
      name: `raw pg (1-row transactions, ${PRODUCERS} callers, pool of ${pool.options.max})`,
      perSecond: concurrent,
    },
  ];
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Appends one event at a time and times how long until `tail` yields it. */
async function wakeups(
  writer: EventLog,
  tail: LogSubscription,
): Promise<{ wake: number[]; append: number[] }> {
  const wake: number[] = [];
  const append: number[] = [];
  for (let i = 0; i < WAKEUPS + 50; i++) {
    const t0 = performance.now();
    let t1 = 0;
    const next = tail.next().then((result) => ((t1 = performance.now()), result));
    await writer.append([{ type: 'wake.tick', data: i }]);
    if ((await next).done === true) throw new Error('the tail ended');
    if (i >= 50) wake.push(t1 - t0); // the first ones warm connections and plans up
  }
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await writer.append([{ type: 'wake.other', data: i }]);
    append.push(performance.now() - t0);
  }
  return { wake: wake.sort((a, b) => a - b), append: append.sort((a, b) => a - b) };
}

async function wakeLatency(pool: Pool, schema: string): Promise<void> {
  const writer = await postgresLog({ pool, schema: `${schema}_wake` });
  const reader = await postgresLog({ connectionString: URL, schema: `${schema}_wake` });
  const rows: string[] = [];
  const ms = (n: number): string => `${n.toFixed(2)} ms`;
  for (const [name, log] of [
    ['same log object (local wake)', writer],
    ['another log object (LISTEN/NOTIFY)', reader],
  ] as const) {
    const tail = log.subscribe({ types: ['wake.tick'] });
    const { wake, append } = await wakeups(writer, tail);
    await tail.close();
    rows.push(
      `| ${name} | ${ms(percentile(wake, 50))} | ${ms(percentile(wake, 99))} | ${ms(percentile(append, 50))} | ${ms(percentile(append, 99))} |`,
    );
  }
  await reader.close();
  await writer.close();
  console.log('\n### Tail wake-up: append() called → the event out of a live tail\n');
  console.log('| tail on | p50 | p99 | append alone p50 | append alone p99 |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
}

/**
 * Runs the PostgreSQL benchmarks and prints their tables.
 *
 * @example
 * ```ts
 * await runPostgresBench();
 * ```
 */
export async function runPostgresBench(): Promise<void> {
  const pool = new Pool({ connectionString: URL, max: 10 });
  const schema = `herald_bench_${process.pid}`;
  const schemas = [schema, `${schema}_single`, `${schema}_wake`];
  try {
    await pool.query(`CREATE SCHEMA ${escapeIdentifier(schema)}`);
    const settings = await pool.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit') ORDER BY name",
    );
    console.log(
      `\nServer: ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}; pool of 10; best of ${ROUNDS}.`,
    );
    printTable(
      'Batched appends (1,000 events per call)',
      await batchAppends(pool, schema),
      'herald postgresLog (append of 1,000)',
    );
    const single = await singleAppends(pool, schema);
    printTable('Concurrent single appends (group commit)', single, single[0]!.name);
    await wakeLatency(pool, schema);
  } finally {
    for (const name of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(name)} CASCADE`);
    await pool.end();
  }
}
