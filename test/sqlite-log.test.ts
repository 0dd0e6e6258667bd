import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteLog, type SqliteLogOptions } from '../src/backends/sqlite/index.js';
import { sqlFile } from '../src/backends/sqlite/sql-file.js';
import { sqliteInternals } from '../src/backends/sqlite/sqlite-log.js';
import { ConcurrencyError, HeraldError } from '../src/errors/index.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `nested-${++files}`, 'deeper', 'events.db');

/** The log's internals, for the white-box cases (the package's exports do not reach them). */
const internals = sqliteInternals;

async function withLog<T>(
  options: Partial<SqliteLogOptions>,
  body: (log: EventLog, path: string) => Promise<T>,
): Promise<T> {
  const path = options.path ?? freshPath();
  const log = await sqliteLog({ ...options, path });
  try {
    return await body(log, path);
  } finally {
    await log.close();
  }
}

async function readAll(log: EventLog, options?: Parameters<EventLog['read']>[0]): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const event of log.read(options)) out.push(event);
  return out;
}

const numbered = (type: string, count: number) =>
  Array.from({ length: count }, (_, n) => ({ type, data: { n } }));

describe('sqliteLog: the file', () => {
  it('creates missing directories and opens in WAL mode, synchronous FULL by default, foreign keys on', async () => {
    await withLog({}, async (log) => {
      const { db } = internals(log);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(log.capabilities).toMatchObject({
        name: 'sqlite',
        survivesReopen: true,
        survivesServerRestart: true,
        fsync: true,
        multiProcess: true,
      });
      expect(Object.isFrozen(log.capabilities)).toBe(true);
    });
  });

  it("durability 'os' runs synchronous NORMAL and says fsync: false", async () => {
    await withLog({ durability: 'os' }, async (log) => {
      expect(internals(log).db.pragma('synchronous', { simple: true })).toBe(1);
      expect(log.capabilities.fsync).toBe(false);
    });
  });

  it('applies the numbered migrations once and records them', async () => {
    const path = freshPath();
    await withLog({ path }, async () => undefined);
    await withLog({ path }, async (log) => {
      const rows = internals(log)
        .db.prepare('SELECT version, name FROM schema_migrations ORDER BY version')
        .all();
      expect(rows).toEqual([
        { version: 1, name: '001_events' },
        { version: 2, name: '002_groups' },
        { version: 3, name: '003_scheduled' },
      ]);
    });
  });

  it('refuses bad options with INVALID_OPTION', async () => {
    for (const options of [
      { path: '' },
      { path: freshPath(), durability: 'always' },
      { path: freshPath(), readPageSize: 0 },
    ]) {
      const error: unknown = await sqliteLog(options as SqliteLogOptions).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HeraldError);
      expect((error as HeraldError).code).toBe('INVALID_OPTION');
    }
  });

  it('plans each read on the index meant for it', async () => {
    await withLog({}, async (log) => {
      const { db } = internals(log);
      // Typical values: the plan is made at prepare time, without them, but EXPLAIN needs bindings.
      const named = {
        cursor: 0,
        lo: 1,
        hi: 100,
        limit: 10,
        types: null,
        stream: 's',
        correlation: 'c',
        type: 't',
        group: 1,
        now: 0,
      };
      const plan = (name: string): string => {
        const explain = db.prepare(`EXPLAIN QUERY PLAN ${sqlFile(`./sql/${name}.sql`)}`);
        const rows = (
          name.startsWith('select-') && name !== 'select-due-pending' ? explain.all(0) : explain.all(named)
        ) as {
          detail: string;
        }[];
        return rows.map((row) => row.detail).join('; ');
      };
      const uses: Record<string, RegExp> = {
        'read-by-position-forward': /SEARCH events USING INTEGER PRIMARY KEY/,
        'read-by-position-backward': /SEARCH events USING INTEGER PRIMARY KEY/,
        'read-by-stream-forward': /USING INDEX events_stream_version/,
        'read-by-stream-backward': /USING INDEX events_stream_version/,
        'read-by-correlation-forward': /USING INDEX events_correlation/,
        'read-by-correlation-backward': /USING INDEX events_correlation/,
        'read-by-type-forward': /USING (COVERING )?INDEX events_type/,
        'read-by-type-backward': /USING (COVERING )?INDEX events_type/,
        'select-first-at-or-after': /USING (COVERING )?INDEX events_recorded_at/,
        'select-last-before': /USING (COVERING )?INDEX events_recorded_at/,
      };
      for (const [name, pattern] of Object.entries(uses)) expect(plan(name), name).toMatch(pattern);
      for (const name of Object.keys(uses))
        expect(plan(name), name).not.toMatch(/USE TEMP B-TREE|SCAN events/);
      // Due deliveries are found by the due index and sorted by position: a sort of the due ones only.
      expect(plan('select-due-pending')).toMatch(/SEARCH p USING INDEX group_pending_due/);
      // A page of pending deliveries walks the key from `after` in position order: no sort.
      const page = db.prepare(`EXPLAIN QUERY PLAN ${sqlFile('./sql/select-pending-page.sql')}`);
      const pagePlan = (page.all({ group: 1, after: 0, limit: 100 }) as { detail: string }[])
        .map((row) => row.detail)
        .join('; ');
      expect(pagePlan).toMatch(/SEARCH p USING PRIMARY KEY \(position>\?\)/);
      expect(pagePlan).not.toMatch(/USE TEMP B-TREE|group_pending_due/);
      const dead = db.prepare(`EXPLAIN QUERY PLAN ${sqlFile('./sql/select-dead-letters.sql')}`);
      expect((dead.all(1, 0, 100) as { detail: string }[]).map((row) => row.detail).join('; ')).toMatch(
        /SEARCH group_dead_letters USING PRIMARY KEY \(group_id=\? AND position>\?\)/,
      );
    });
  });
});

describe('sqliteLog: group commit', () => {
  it('commits appends made at once in one transaction: they share one recorded time', async () => {
    await withLog({}, async (log) => {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => log.append([{ type: 'gc.one', data: i }])),
      );
      expect(results.map(([a]) => a!.position)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      const recorded = new Set((await readAll(log)).map((e) => e.recordedat));
      expect(recorded.size).toBe(1);
    });
  });

  it('fails only the caller whose expectedVersion does not hold, not the others of the round', async () => {
    await withLog({}, async (log) => {
      const racing = Array.from({ length: 10 }, (_, i) =>
        log.append([{ type: 'gc.race', data: i }], { stream: 'contested', expectedVersion: 'no_stream' }),
      );
      const others = Array.from({ length: 10 }, (_, i) =>
        log.append([{ type: 'gc.free', data: i }], { stream: 'free' }),
      );
      const settled = await Promise.allSettled([...racing, ...others]);
      const won = settled.slice(0, 10).filter((s) => s.status === 'fulfilled');
      const lost = settled.slice(0, 10).filter((s) => s.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const s of lost) expect(s.reason).toBeInstanceOf(ConcurrencyError);
      expect(settled.slice(10).every((s) => s.status === 'fulfilled')).toBe(true);
      expect(await log.streamVersion('contested')).toBe(1);
      expect(await log.streamVersion('free')).toBe(10);
      const positions = (await readAll(log)).map((e) => e.position);
      expect(positions).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    });
  });

  it('rolls back a write that fails midway alone and commits the rest of its round', async () => {
    await withLog({}, async (log) => {
      const { db, queue } = internals(log);
      const before = log.append([{ type: 'gc.before' }]);
      const broken = queue.submit({
        weight: 1,
        run: () => {
          db.prepare("INSERT INTO event_types (type) VALUES ('gc.half')").run();
          throw new Error('failed after writing');
        },
      });
      const after = log.append([{ type: 'gc.after' }]);
      await expect(broken).rejects.toThrow('failed after writing');
      expect((await before)[0]!.position).toBe(1);
      expect((await after)[0]!.position).toBe(2);
      expect(db.prepare("SELECT count(*) AS n FROM event_types WHERE type = 'gc.half'").get()).toEqual({
        n: 0,
      });
      expect(await log.bounds()).toEqual({ first: 1, last: 2 });
    });
  });

  it('fails every write of a round whose transaction cannot start (busy past busyTimeoutMs), then recovers', async () => {
    await withLog({ busyTimeoutMs: 50 }, async (log, path) => {
      const holder = new BetterSqlite3(path);
      holder.prepare('BEGIN IMMEDIATE').run();
      const settled = await Promise.allSettled([
        log.append([{ type: 'busy.a' }]),
        log.append([{ type: 'busy.b' }]),
      ]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      expect((settled[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'LOG_UNREACHABLE',
        message: expect.stringMatching(/locked by another process/) as unknown,
      });
      holder.prepare('ROLLBACK').run();
      holder.close();
      expect((await log.append([{ type: 'busy.c' }]))[0]!.position).toBe(1);
    });
  });

  it("waits for another process's write lock off the event loop, then commits", async () => {
    await withLog({ busyTimeoutMs: 30_000 }, async (log, path) => {
      const holder = new BetterSqlite3(path);
      holder.prepare('BEGIN IMMEDIATE').run();
      let settled = false;
      const appended = log.append([{ type: 'busy.wait' }]).finally(() => (settled = true));
      // Timers run while the write waits: the connection does not hold the event loop for the
      // lock (better-sqlite3 would wait synchronously for the whole busy timeout).
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(settled).toBe(false);
      expect(await log.bounds()).toEqual({ first: 0, last: 0 }); // readers are not held either
      holder.prepare('ROLLBACK').run();
      holder.close();
      expect((await appended)[0]!.position).toBe(1);
    });
  });

  it('makes callers wait for room past maxQueuedEvents, dropping none and keeping their order', async () => {
    await withLog({ maxQueuedEvents: 10, maxBatchEvents: 10 }, async (log) => {
      const results = await Promise.all(
        Array.from({ length: 95 }, (_, i) => log.append(numbered('gc.bounded', 1 + (i % 3)))),
      );
      const firsts = results.map((r) => r[0]!.position);
      expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
      expect((await log.bounds()).last).toBe(results.flat().length);
    });
  });

  it('lets close finish the writes already queued', async () => {
    const path = freshPath();
    const log = await sqliteLog({ path });
    const pending = Promise.all(
      Array.from({ length: 20 }, (_, i) => log.append([{ type: 'gc.closing', data: i }])),
    );
    await log.close();
    expect((await pending).flat()).toHaveLength(20);
    await withLog({ path }, async (reopened) =>
      expect(await reopened.bounds()).toEqual({ first: 1, last: 20 }),
    );
  });
});

describe('sqliteLog: reads', () => {
  it('reads in pages of readPageSize, in both directions, with limits and sparse type filters', async () => {
    await withLog({ readPageSize: 7 }, async (log) => {
      for (let i = 0; i < 10; i++) await log.append([...numbered('page.a', 9), ...numbered('page.b', 1)]);
      expect((await readAll(log)).map((e) => e.position)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expect((await readAll(log, { direction: 'backward', limit: 15 })).map((e) => e.position)).toEqual(
        Array.from({ length: 15 }, (_, i) => 100 - i),
      );
      const bs = await readAll(log, { types: ['page.b'] });
      expect(bs.map((e) => e.position)).toEqual(Array.from({ length: 10 }, (_, i) => 10 * (i + 1)));
      expect(await readAll(log, { types: ['page.*'], from: 95 })).toHaveLength(6);
      expect((await readAll(log, { types: ['page.b', 'page.a'], limit: 8 })).map((e) => e.position)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
    });
  });

  it('a subscription receives types that first appear after it started', async () => {
    await withLog({}, async (log) => {
      const subscription = log.subscribe({ from: 'start', types: ['late.*'] });
      await log.append([{ type: 'late.one' }, { type: 'other.thing' }]);
      expect((await subscription.next()).value?.type).toBe('late.one');
      await log.append([{ type: 'late.two' }]);
      expect((await subscription.next()).value?.type).toBe('late.two');
      await subscription.close();
    });
  });

  it('a subscription sees appends made through another connection to the same file', async () => {
    await withLog({ pollIntervalMs: 20 }, async (log, path) => {
      const subscription = log.subscribe({ from: 'start' });
      const other = await sqliteLog({ path });
      try {
        await other.append([{ type: 'elsewhere.done' }]);
        const next = await subscription.next();
        expect(next.value?.type).toBe('elsewhere.done');
      } finally {
        await other.close();
        await subscription.close();
      }
    });
  });
});

describe('sqliteLog: retention and deletes', () => {
  it('keeps exactly the newest maxEvents, across holes, deleting in bounded chunks', async () => {
    const path = freshPath();
    await withLog({ path }, async (log) => {
      for (let i = 0; i < 5; i++) await log.append(numbered('ret.bulk', 5_000));
      await log.append(numbered('ret.hole', 3), { stream: 'hole' });
      await log.append(numbered('ret.tail', 10));
      expect(await log.deleteStream('hole')).toBe(3);
    });
    await withLog({ path, retention: { maxEvents: 12 } }, async (log) => {
      expect(await log.applyRetention()).toBe(25_000 - 2);
      const kept = (await readAll(log)).map((e) => e.position);
      expect(kept).toEqual([24_999, 25_000, ...Array.from({ length: 10 }, (_, i) => 25_004 + i)]);
      await log.append(numbered('ret.more', 2));
      expect((await readAll(log)).map((e) => e.position)).toEqual([...kept.slice(2), 25_014, 25_015]);
    });
  });

  it('deletes events older than maxAgeMs', async () => {
    await withLog({ retention: { maxAgeMs: 40 } }, async (log) => {
      await log.append(numbered('age.old', 3));
      const since = Date.now();
      await waitFor(() => Date.now() >= since + 60);
      expect(await log.applyRetention()).toBe(3);
      expect(await log.bounds()).toEqual({ first: 0, last: 0 });
    });
  });

  it('drops the pending deliveries of deleted events; their dead letters stay but cannot be redriven', async () => {
    await withLog({}, async (log) => {
      await log.append(numbered('del.x', 4), { stream: 'doomed' });
      const group = await log.group('del', { startAt: 'start', maxDeliveries: 1 });
      const [first, ...rest] = await group.pull({ max: 4 });
      await first!.nack({ error: new Error('boom') });
      expect(await group.info()).toMatchObject({ pending: 3, deadLetters: 1 });
      expect(rest).toHaveLength(3);
      await log.deleteStream('doomed');
      expect(await group.info()).toMatchObject({ pending: 0, deadLetters: 1 });
      const [dead] = await group.deadLetters();
      expect(dead).toMatchObject({
        deliveries: 1,
        error: 'boom',
        event: { position: 1, stream: 'doomed', version: 1 },
      });
      expect(await group.redrive()).toBe(0);
      expect(await group.purge()).toBe(1);
    });
  });
});

describe('sqliteLog: groups over two connections', () => {
  it('share one cursor and never hand the same event to both', async () => {
    await withLog({}, async (log, path) => {
      const other = await sqliteLog({ path });
      try {
        await log.append(numbered('two.x', 50));
        const a = await log.group('shared', { startAt: 'start' });
        const b = await other.group('shared');
        const pulled = await Promise.all([a.pull({ max: 30 }), b.pull({ max: 30 }), a.pull({ max: 30 })]);
        const positions = pulled.flat().map((d) => d.event.position);
        expect(new Set(positions).size).toBe(50);
        expect(positions).toHaveLength(50);
        await Promise.all(pulled.flat().map((d) => d.ack()));
        expect(await b.info()).toMatchObject({
          pending: 0,
          lag: 0,
          ackedPosition: 50,
          deliveredPosition: 50,
        });
      } finally {
        await other.close();
      }
    });
  });
});
