import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import { Client, Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendInTransaction, postgresLog } from '../src/backends/postgres/index.js';
import { HeraldError } from '../src/errors/index.js';
import { typeRegexes } from '../src/backends/postgres/type-regex.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { matchesPattern } from '../src/subject/subject.js';
import { seededRandom, waitFor } from '../src/testing/index.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable, uniqueSchema } from './fixtures/postgres-server.js';
import { holdServer } from './fixtures/postgres-server-lock.js';

const unreachable = await postgresUnreachable();
const schemas = new Set<string>();
const logs: EventLog[] = [];
let client: Client;
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (unreachable !== undefined) return;
  release = await holdServer();
  client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
}, 120_000);
afterAll(async () => {
  if (unreachable !== undefined) return;
  await Promise.all(logs.map((log) => log.close()));
  await client.end();
  await dropSchemas(schemas);
  await release?.();
});

/** A log on a schema of its own, closed and dropped after the file. */
async function open(options: Parameters<typeof postgresLog>[0] = {}): Promise<EventLog> {
  const schema = options.schema ?? uniqueSchema('log');
  schemas.add(schema);
  const log = await postgresLog({ connectionString: POSTGRES_URL, ...options, schema });
  logs.push(log);
  return log;
}

async function readAll(log: EventLog): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const event of log.read()) out.push(event);
  return out;
}

describe('postgres log', () => {
  it('opens with a connection string alone and declares its capabilities in one frozen object', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const log = await open();
    expect(Object.isFrozen(log.capabilities)).toBe(true);
    expect(log.capabilities).toEqual({
      name: 'postgres',
      survivesReopen: true,
      survivesServerRestart: true,
      fsync: true,
      consumerGroups: true,
      multiProcess: true,
    });
  });

  it('runs from the built package: herald/postgres exports the log and the outbox, with its SQL files', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const built = await import('herald/postgres');
    expect(typeof built.appendInTransaction).toBe('function');
    const schema = uniqueSchema('dist');
    schemas.add(schema);
    const log = await built.postgresLog({ connectionString: POSTGRES_URL, schema });
    logs.push(log);
    const [r] = await log.append([{ type: 'dist.check', data: { ok: true } }]);
    expect(r).toMatchObject({ position: 1, duplicate: false });
  });

  it('refuses bad options with INVALID_OPTION', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const bad = [{}, { connectionString: '' }, { connectionString: POSTGRES_URL, schema: '' }];
    bad.push({ connectionString: POSTGRES_URL, schema: 'x'.repeat(64) });
    bad.push({ connectionString: POSTGRES_URL, poolSize: 1 } as never);
    for (const options of bad) {
      await expect(postgresLog(options), JSON.stringify(options)).rejects.toMatchObject({
        code: 'INVALID_OPTION',
      });
    }
  });

  it('migrates a new schema once when several logs open it at the same moment', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('race');
    const opened = await Promise.all(Array.from({ length: 5 }, () => open({ schema })));
    const { rows } = await client.query(
      `SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 1, name: '001-events' },
      { version: 2, name: '002-groups' },
      { version: 3, name: '003-scheduled' },
    ]);
    await opened[0]!.append([{ type: 'race.a' }]);
    expect(await opened[4]!.bounds()).toEqual({ first: 1, last: 1 });
  });

  it('keeps its tables in a schema whose name needs quoting', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = `herald "odd".name; x ${Date.now()}`;
    const log = await open({ schema });
    await log.append([{ type: 'odd.a', data: 1 }]);
    const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [
      schema,
    ]);
    expect(rows[0]).toEqual({ n: 1 });
    expect((await readAll(log)).map((e) => e.data)).toEqual([1]);
  });

  it('stores NUL characters, lone surrogates and other JSON exactly as given', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const log = await open();
    const data = {
      nul: 'a\u0000b',
      lone: 'x\ud800y',
      emoji: '🦜',
      big: 2 ** 53 - 1,
      tiny: 1e-300,
      nested: [[], {}],
    };
    const [r] = await log.append([{ type: 'data.exact', data }]);
    expect((await log.get(r!.id))?.data).toEqual(data);
  });

  it('appendInTransaction refuses an id stored with other content, comparing in its own transaction', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('outboxdup');
    const log = await open({ schema });
    const event = {
      id: `dup-${schema}`,
      source: '/shop',
      type: 'outbox.dup',
      data: { n: 1, nul: 'a\u0000b' },
    };
    const pool = new Pool({ connectionString: POSTGRES_URL, max: 1 });
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      const [first] = await appendInTransaction(tx, [event], { schema });
      // The original is uncommitted: only the caller's transaction can load it to compare.
      const [again] = await appendInTransaction(tx, [{ ...event, time: '2020-01-01T00:00:00Z' }], { schema });
      expect(again).toEqual({ ...first, duplicate: true });
      const err = await appendInTransaction(tx, [{ ...event, source: '/other' }], { schema }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HeraldError);
      expect((err as HeraldError).code).toBe('DUPLICATE_ID_CONFLICT');
      await tx.query('COMMIT');
    } finally {
      tx.release();
      await pool.end();
    }
    expect(await log.get(event.id)).toMatchObject({ source: '/shop', data: event.data });
  });

  it('matches type patterns in SQL exactly as NATS matching does', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const random = seededRandom(0x9e3779b9);
    const alphabet = ['a', 'b', 'a.b', '$', '(', '\\', 'é', '+', '[x]', '|'];
    const token = (): string => alphabet[Math.floor(random() * alphabet.length)]!.replace('.', '');
    const types = Array.from({ length: 60 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 3) }, token).join('.'),
    );
    const patterns = Array.from({ length: 60 }, () => {
      const tokens = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        random() < 0.3 ? '*' : token(),
      );
      if (random() < 0.3) tokens.push('>');
      return tokens.join('.');
    });
    const { rows } = await client.query<{ t: string; p: number; m: boolean }>(
      'SELECT t, p, t ~ r AS m FROM unnest($1::text[]) AS t, unnest($2::text[]) WITH ORDINALITY AS x (r, p)',
      [types, patterns.map((p) => typeRegexes([p])![0]!)],
    );
    expect(rows).toHaveLength(types.length * patterns.length);
    for (const { t, p, m } of rows)
      expect(m, `${patterns[p - 1]} ~ ${t}`).toBe(matchesPattern(patterns[p - 1]!, t));
    expect(typeRegexes(['>'])).toBeNull();
    expect(typeRegexes(undefined)).toBeNull();
    expect(typeRegexes([])).toEqual([]);
  });

  it('commits concurrent appends together: far fewer transactions than appends', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const pool = new Pool({ connectionString: POSTGRES_URL, max: 4 });
    let transactions = 0;
    const schema = uniqueSchema('gc');
    schemas.add(schema);
    const log = await postgresLog({ pool, schema });
    try {
      pool.on('acquire', () => transactions++);
      const before = transactions;
      await Promise.all(Array.from({ length: 200 }, (_, i) => log.append([{ type: 'gc.tick', data: i }])));
      expect(transactions - before).toBeLessThan(20);
      expect((await readAll(log)).map((e) => e.position)).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
    } finally {
      await log.close();
      await pool.end();
    }
  });

  it('applies retention after appends without being asked', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const log = await open({ retention: { maxEvents: 3 } });
    for (let i = 0; i < 6; i++) await log.append([{ type: 'keep.a', data: i }]);
    expect((await readAll(log)).map((e) => e.data)).toEqual([3, 4, 5]);
    expect(await log.applyRetention()).toBe(0);
  });

  it('lets plain SQL read its events: the documented psql queries work', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('sql');
    const log = await open({ schema });
    await log.append(
      [
        { type: 'order.created', data: { id: 'o-1', total: 42 } },
        { type: 'order.paid', data: { id: 'o-1' } },
      ],
      { stream: 'order-o-1' },
    );
    const { rows } = await client.query(
      `SELECT position, type, stream, version, event->'data'->>'id' AS order_id, event->>'recordedat' AS recordedat
       FROM ${schema}.events WHERE type LIKE 'order.%' ORDER BY position`,
    );
    const stored = await readAll(log);
    expect(rows).toEqual(
      stored.map((e) => ({
        position: String(e.position),
        type: e.type,
        stream: 'order-o-1',
        version: String(e.version),
        order_id: 'o-1',
        recordedat: e.recordedat,
      })),
    );
    const head = await client.query(`SELECT last_position::int AS last FROM ${schema}.log_head`);
    expect(head.rows[0]).toEqual({ last: 2 });
  });

  it('wakes a tail with a notification when another process appends, not by polling', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const schema = uniqueSchema('notify');
    // A poll interval far beyond the wait below: only the notification can wake the tail in time.
    const reader = await open({ schema, pollIntervalMs: 600_000 });
    const writer = await open({ schema });
    const seen: StoredEvent[] = [];
    const tail = reader.subscribe({ from: 'start' });
    const tailing = (async () => {
      for await (const event of tail) seen.push(event);
    })();
    const group = await reader.group('g', { startAt: 'start' });
    const pulling = group.pull({ waitMs: 600_000 });
    await writer.append([{ type: 'notify.a', data: 1 }]);
    await waitFor(() => seen.length === 1, { message: 'the tail was not woken' });
    expect((await pulling).map((d) => d.event.data)).toEqual([1]);
    await writer.append([{ type: 'notify.a', data: 2 }]);
    await waitFor(() => seen.length === 2, { message: 'the tail was not woken again' });
    await tail.close();
    await tailing;
  });
  it('connects with a URL that names no user as the OS account, as psql does', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const account = userInfo().username;
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [account]);
    if (role.rowCount === 0) return ctx.skip(`no PostgreSQL role named after the OS account ${account}`);
    const url = new URL(POSTGRES_URL);
    url.username = '';
    url.password = '';
    const schema = uniqueSchema('nouser');
    schemas.add(schema);
    // A process with neither PGUSER nor USER set, as under systemd or in many containers.
    const env = { ...process.env };
    delete env['PGUSER'];
    delete env['USER'];
    delete env['USERNAME'];
    const script = `
      const { postgresLog } = await import('herald/postgres');
      const log = await postgresLog({ connectionString: ${JSON.stringify(url.toString())}, schema: ${JSON.stringify(schema)} });
      const [r] = await log.append([{ type: 'no.user', data: 1 }]);
      await log.close();
      console.log(JSON.stringify(r));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env,
      cwd: process.cwd(),
    });
    expect(JSON.parse(stdout)).toMatchObject({ position: 1, duplicate: false });
    const owner = await client.query(
      'SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = $2',
      [schema, 'events'],
    );
    expect(owner.rows[0]).toEqual({ tableowner: account });
  });
});
