/**
 * Hub ingest: events/s through `POST /v1/events` with 50 keep-alive connections, the load
 * generator (autocannon by default, `HERALD_BENCH_LOAD=wrk` for wrk) in a SECOND process so the
 * hub in this process has a core of its own. Single-event POSTs and 1,000-event batch POSTs, on
 * the SQLite log with fsync durability (the default), next to:
 * - the hub on the memory log (what HTTP + parsing + validation cost without storage);
 * - a hand-written node:http + better-sqlite3 server (synchronous=FULL, WAL): JSON.parse, one
 *   INSERT per event and one transaction (one fsync) per request, no validation;
 * - a node:http server answering 201 without reading the body: the ceiling of HTTP and the load
 *   generator on this machine.
 * Targets (issue 4): single >= 15,000 events/s, batches >= 100,000 events/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { createServer } from '../src/server/index.js';
import { startChild } from './child.js';
import type { LoadJob, LoadResult } from './fixtures/http-load.js';
import { printTable, type BenchRow } from './harness.js';

const CONNECTIONS = 50;
const BATCH = 1_000;
const seconds = Number(process.env.HERALD_BENCH_SECONDS ?? 6);
const tool: LoadJob['tool'] = process.env.HERALD_BENCH_LOAD === 'wrk' ? 'wrk' : 'autocannon';

const ONE = JSON.stringify({ type: 'bench.ingest', data: { sku: 'a-1', qty: 2, note: 'x'.repeat(120) } });
const MANY = JSON.stringify(Array.from({ length: BATCH }, () => JSON.parse(ONE) as unknown));

/** Runs the load child against `url` and returns its measurement. */
async function load(url: string, body: string): Promise<LoadResult> {
  const child = startChild<LoadResult>('http-load', {
    tool,
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    seconds,
  } satisfies LoadJob);
  try {
    const result = await child.next();
    if (result.non2xx > 0) throw new Error(`ingest bench: ${result.non2xx} non-2xx replies from ${url}`);
    return result;
  } finally {
    await child.stop();
  }
}

function row(name: string, result: LoadResult, eventsPerRequest: number): BenchRow {
  return {
    name,
    perSecond: result.requestsPerSecond * eventsPerRequest,
    extra: {
      'requests/s': result.requestsPerSecond.toFixed(0),
      'p50 ms': result.p50.toFixed(1),
      'p99 ms': result.p99.toFixed(1),
      errors: String(result.errors),
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function withHub<T>(log: EventLog, run: (url: string) => Promise<T>): Promise<T> {
  const app = createServer({ log, bodyLimit: 16 * 1024 * 1024, rateLimit: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await run(`${base}/v1/events`);
  } finally {
    await app.close();
    await log.close();
  }
}

/** The hand-written alternative: parse, insert each event, one durable transaction per request. */
function rawSqliteServer(path: string): { server: Server; db: Database.Database } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT UNIQUE, type TEXT, event TEXT)');
  const insert = db.prepare('INSERT INTO events (id, type, event) VALUES (?, ?, ?)');
  const store = db.transaction((events: Record<string, unknown>[]) =>
    events.map((e) => {
      const id = crypto.randomUUID();
      const position = insert.run(id, e.type, JSON.stringify({ ...e, id })).lastInsertRowid;
      return { id, position: Number(position) };
    }),
  );
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString()) as unknown;
      const events = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
      const body = JSON.stringify({ events: store(events) });
      res.writeHead(201, { 'content-type': 'application/json' }).end(body);
    });
  });
  return { server, db };
}

export async function runIngestBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-ingest-'));
  const only = process.env.HERALD_BENCH_ONLY; // e.g. "herald" while profiling
  const want = (name: string): boolean => only === undefined || name.startsWith(only);
  const single: BenchRow[] = [];
  const batch: BenchRow[] = [];
  try {
    if (want('herald')) {
      await withHub(await sqliteLog({ path: join(dir, 'herald.db') }), async (url) => {
        single.push(row('herald, SQLite fsync', await load(url, ONE), 1));
        batch.push(row('herald, SQLite fsync', await load(url, MANY), BATCH));
      });
    }
    if (want('memory')) {
      await withHub(memoryLog(), async (url) => {
        single.push(row('herald, memory log', await load(url, ONE), 1));
        batch.push(row('herald, memory log', await load(url, MANY), BATCH));
      });
    }
    if (want('raw')) {
      const { server, db } = rawSqliteServer(join(dir, 'raw.db'));
      const url = await listen(server);
      single.push(row('node:http + better-sqlite3, tx per request', await load(url, ONE), 1));
      batch.push(row('node:http + better-sqlite3, tx per request', await load(url, MANY), BATCH));
      await close(server);
      db.close();
    }
    if (want('ceiling')) {
      const server = createHttpServer((_req, res) => {
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"events":[]}');
      });
      const url = await listen(server);
      single.push(row('node:http 201, body ignored (ceiling)', await load(url, ONE), 1));
      await close(server);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const how = `${tool} in a child process, ${CONNECTIONS} connections, ${seconds} s each`;
  const tables = [
    { title: `Hub ingest: single-event POSTs, events/s (${how}; target >= 15 k/s)`, rows: single },
    { title: `Hub ingest: ${BATCH}-event batch POSTs, events/s (${how}; target >= 100 k/s)`, rows: batch },
  ];
  for (const { title, rows } of tables) if (rows.length > 0) printTable(title, rows, rows[0]!.name);
}
