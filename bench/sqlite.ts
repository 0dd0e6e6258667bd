/**
 * The SQLite log against raw better-sqlite3 on the same disk (WAL, synchronous=FULL, a UNIQUE
 * index on a random id column): what group commit, batching and paged reads buy over the
 * obvious hand-written code. One table per measurement:
 * (a) 100 concurrent producers each awaiting single durable appends vs single-row transactions;
 * (b) sequential batches of 1,000 vs 1,000-row transactions;
 * (c) catch-up read of 1,000,000 events from position 0 (RSS before, peak and after: memory flat);
 * (d) consumer group deliver + ack vs claiming and deleting rows of a queue table.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import type { EventLog } from '../src/log/types.js';
import { measure, printTable, type BenchRow } from './harness.js';

// Best of 5: fsync latency on a shared disk varies from round to round.
const WRITE_ROUNDS = 5;
const PRODUCERS = 100;
const SINGLE_APPENDS = 20_000;
const RAW_SINGLE_TX = 3_000;
const BATCH = 1_000;
const BATCHES = 50;
const CATCH_UP = 1_000_000;
const GROUP_EVENTS = 100_000;
const PULL_MAX = 100;

const payload = (i: number) => ({ sku: `sku-${i % 1000}`, qty: (i % 7) + 1, price: 19.99 });
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

function rawDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, event TEXT NOT NULL)',
  );
  return db;
}

function rawInsert(db: Database.Database): (i: number) => void {
  const insert = db.prepare('INSERT INTO events (id, type, event) VALUES (?, ?, ?)');
  return (i) => {
    const id = randomUUID();
    insert.run(
      id,
      'order.created',
      JSON.stringify({ specversion: '1.0', id, type: 'order.created', data: payload(i) }),
    );
  };
}

async function singleAppends(dir: string): Promise<BenchRow[]> {
  const log = await sqliteLog({ path: join(dir, 'a.db') });
  const perProducer = SINGLE_APPENDS / PRODUCERS;
  const herald = await measure(
    SINGLE_APPENDS,
    () =>
      Promise.all(
        Array.from({ length: PRODUCERS }, async (_, p) => {
          for (let i = 0; i < perProducer; i++)
            await log.append([{ type: 'order.created', data: payload(p * i) }]);
        }),
      ),
    WRITE_ROUNDS,
  );
  await log.close();
  const db = rawDb(join(dir, 'a-raw.db'));
  const insert = rawInsert(db);
  const one = db.transaction(insert);
  const raw = await measure(
    RAW_SINGLE_TX,
    () => {
      for (let i = 0; i < RAW_SINGLE_TX; i++) one(i);
    },
    WRITE_ROUNDS,
  );
  db.close();
  return [
    { name: `herald sqliteLog (${PRODUCERS} producers, fsync)`, perSecond: herald },
    { name: 'raw better-sqlite3 (1-row transactions, FULL)', perSecond: raw },
  ];
}

async function batchAppends(dir: string): Promise<BenchRow[]> {
  const log = await sqliteLog({ path: join(dir, 'b.db') });
  const batch = Array.from({ length: BATCH }, (_, i) => ({ type: 'order.created', data: payload(i) }));
  const herald = await measure(
    BATCH * BATCHES,
    async () => {
      for (let i = 0; i < BATCHES; i++) await log.append(batch);
    },
    WRITE_ROUNDS,
  );
  await log.close();
  const db = rawDb(join(dir, 'b-raw.db'));
  const insert = rawInsert(db);
  const many = db.transaction(() => {
    for (let i = 0; i < BATCH; i++) insert(i);
  });
  const raw = await measure(
    BATCH * BATCHES,
    () => {
      for (let i = 0; i < BATCHES; i++) many();
    },
    WRITE_ROUNDS,
  );
  db.close();
  return [
    { name: 'herald sqliteLog (append of 1,000, fsync)', perSecond: herald },
    { name: 'raw better-sqlite3 (1,000-row transactions, FULL)', perSecond: raw },
  ];
}

async function fill(log: EventLog, count: number): Promise<void> {
  for (let i = 0; i < count; i += 10_000) {
    await log.append(
      Array.from({ length: 10_000 }, (_, j) => ({ type: `order.${(i + j) % 4}`, data: payload(i + j) })),
    );
  }
}

async function catchUp(dir: string): Promise<BenchRow[]> {
  const log = await sqliteLog({ path: join(dir, 'c.db'), durability: 'os' });
  await fill(log, CATCH_UP);
  const rss = { before: 0, peak: 0, after: 0 };
  const herald = await measure(
    CATCH_UP,
    async () => {
      global.gc?.();
      rss.before = process.memoryUsage().rss;
      rss.peak = rss.before;
      let n = 0;
      for await (const event of log.read({ from: 'start' })) {
        if (++n % 100_000 === 0) rss.peak = Math.max(rss.peak, process.memoryUsage().rss);
        if (event.position < 0) throw new Error('unreachable');
      }
      if (n !== CATCH_UP) throw new Error(`read ${n} events`);
      rss.after = process.memoryUsage().rss;
    },
    2,
  );
  await log.close();
  const db = rawDb(join(dir, 'c.db'));
  const iterate = db.prepare('SELECT position, event FROM events ORDER BY position');
  const raw = await measure(
    CATCH_UP,
    () => {
      let n = 0;
      for (const row of iterate.iterate() as Iterable<{ event: string }>)
        if (JSON.parse(row.event) !== null) n++;
      if (n !== CATCH_UP) throw new Error(`read ${n} rows`);
    },
    2,
  );
  db.close();
  return [
    {
      name: 'herald sqliteLog read({ from: start })',
      perSecond: herald,
      extra: { 'RSS before': mb(rss.before), 'RSS peak': mb(rss.peak), 'RSS after': mb(rss.after) },
    },
    { name: 'raw better-sqlite3 iterate() + JSON.parse', perSecond: raw },
  ];
}

async function groupThroughput(dir: string): Promise<BenchRow[]> {
  const log = await sqliteLog({ path: join(dir, 'd.db') });
  await fill(log, GROUP_EVENTS * 5);
  let round = 0;
  const herald = await measure(
    GROUP_EVENTS,
    async () => {
      const group = await log.group(`g${round++}`, { startAt: 'start' });
      for (let done = 0; done < GROUP_EVENTS;) {
        const deliveries = await group.pull({ max: PULL_MAX });
        await Promise.all(deliveries.map((d) => d.ack()));
        done += deliveries.length;
      }
    },
    3,
  );
  // A consumer that acks a batch while it pulls the next: both ride in one round (one fsync).
  const pipelined = await measure(
    GROUP_EVENTS,
    async () => {
      const group = await log.group(`g${round++}`, { startAt: 'start' });
      let acks: Promise<unknown> = Promise.resolve();
      for (let done = 0; done < GROUP_EVENTS;) {
        const deliveries = await group.pull({ max: PULL_MAX });
        await acks;
        acks = Promise.all(deliveries.map((d) => d.ack()));
        done += deliveries.length;
      }
      await acks;
    },
    3,
  );
  await log.close();
  const db = rawDb(join(dir, 'd-raw.db'));
  db.exec('CREATE TABLE IF NOT EXISTS pending (position INTEGER PRIMARY KEY, due_at INTEGER NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY, position INTEGER NOT NULL)');
  const insert = rawInsert(db);
  db.transaction(() => {
    for (let i = 0; i < GROUP_EVENTS * 5; i++) insert(i);
  })();
  const select = db.prepare(
    'SELECT position, event FROM events WHERE position > ? ORDER BY position LIMIT ?',
  );
  const pend = db.prepare('INSERT INTO pending (position, due_at) VALUES (?, ?)');
  const move = db.prepare(
    'INSERT INTO cursor (id, position) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position',
  );
  const ack = db.prepare('DELETE FROM pending WHERE position = ?');
  let cursor = 0;
  const claim = db.transaction(() => {
    const rows = select.all(cursor, PULL_MAX) as { position: number; event: string }[];
    for (const r of rows) pend.run(r.position, Date.now() + 30_000);
    cursor = rows.at(-1)?.position ?? cursor;
    move.run(cursor);
    return rows.map((r) => ({ position: r.position, event: JSON.parse(r.event) as unknown }));
  });
  const acks = db.transaction((positions: number[]) => {
    for (const p of positions) ack.run(p);
  });
  const raw = await measure(
    GROUP_EVENTS,
    () => {
      for (let done = 0; done < GROUP_EVENTS;) {
        const rows = claim();
        acks(rows.map((r) => r.position));
        done += rows.length;
      }
    },
    3,
  );
  db.close();
  return [
    { name: `herald group pull({ max: ${PULL_MAX} }) + ack each (fsync)`, perSecond: herald },
    { name: 'herald group, acks sent with the next pull (fsync)', perSecond: pipelined },
    {
      name: `raw better-sqlite3 claim ${PULL_MAX} rows tx + delete ${PULL_MAX} rows tx (FULL)`,
      perSecond: raw,
    },
  ];
}

export async function runSqliteBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-bench-'));
  try {
    printTable(
      'SQLite (a): 100 concurrent producers, single durable appends (events/s)',
      await singleAppends(dir),
      `herald sqliteLog (${PRODUCERS} producers, fsync)`,
    );
    printTable(
      'SQLite (b): batches of 1,000, durable (events/s)',
      await batchAppends(dir),
      'herald sqliteLog (append of 1,000, fsync)',
    );
    printTable(
      'SQLite (c): catch-up read of 1,000,000 events from position 0 (events/s)',
      await catchUp(dir),
      'herald sqliteLog read({ from: start })',
    );
    printTable(
      'SQLite (d): consumer group deliver + ack (events/s)',
      await groupThroughput(dir),
      `herald group pull({ max: ${PULL_MAX} }) + ack each (fsync)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
