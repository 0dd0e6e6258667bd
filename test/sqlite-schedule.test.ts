import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLog, type SqliteLogOptions } from '../src/backends/sqlite/index.js';
import { sqliteScheduleStore } from '../src/backends/sqlite/schedule-store.js';
import { sqlFile } from '../src/backends/sqlite/sql-file.js';
import { sqliteInternals } from '../src/backends/sqlite/sqlite-log.js';
import { HeraldError } from '../src/errors/index.js';
import type { ScheduleEntry } from '../src/log/kit/schedule.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { bundleFixture } from './fixtures/sqlite-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-schedule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `schedule-${++files}.db`);
let child = '';
beforeAll(async () => {
  child = await bundleFixture('sqlite-schedule-child', dir);
});

/** Runs the child until it printed READY, kills it with SIGKILL, returns the ids it printed. */
function runAndKill(mode: 'schedule' | 'claim', path: string, count: number): Promise<string[]> {
  const proc = spawn(process.execPath, [child, mode, path, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!stdout.includes('READY\n')) return;
      proc.kill('SIGKILL');
      resolve(
        stdout
          .split('\n')
          .filter((line) => /^[SC] /.test(line))
          .map((line) => line.slice(2)),
      );
    });
    proc.on('exit', (code) => {
      if (!stdout.includes('READY\n')) reject(new Error(`child ${mode} failed (${code}): ${stderr}`));
    });
  });
}

async function withLog<T>(
  options: Partial<SqliteLogOptions>,
  body: (log: EventLog, path: string) => Promise<T>,
): Promise<T> {
  const path = options.path ?? freshPath();
  // No mover: the cases drive the store themselves.
  const log = await sqliteLog({ scheduler: { move: false }, ...options, path });
  try {
    return await body(log, path);
  } finally {
    await log.close();
  }
}

const entry = (id: string, dueAt: number, stream?: string): ScheduleEntry => ({
  id,
  dueAt,
  stream,
  event: { specversion: '1.0', id, source: '/test', type: 'sched.a', data: { id } },
});

const ids = (entries: readonly ScheduleEntry[]): string[] => entries.map((e) => e.id);

describe('sqlite schedule store', () => {
  it('adds, reports a pending duplicate, claims due entries in order under a lease', async () => {
    await withLog({}, async (log) => {
      const store = sqliteScheduleStore(sqliteInternals(log));
      expect(await store.nextDue()).toBeUndefined();
      expect(await store.add([entry('c', 300), entry('a', 100, 's'), entry('b', 100)])).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect(await store.add([entry('a', 999), entry('d', 400)])).toEqual([100, undefined]);
      expect(await store.nextDue()).toBe(100);
      expect(await store.claim(50, 10, 1000)).toEqual([]);
      const claimed = await store.claim(300, 2, 1000);
      expect(ids(claimed)).toEqual(['a', 'b']);
      expect(claimed[0]).toEqual(entry('a', 100, 's'));
      // Taken: not cancellable, still listed, its lease end counts for nextDue.
      expect(await store.cancel('a')).toBe(false);
      expect(ids(await store.list(10, undefined))).toEqual(['a', 'b', 'c', 'd']);
      expect(await store.nextDue()).toBe(300);
      expect(ids(await store.claim(300, 10, 1000))).toEqual(['c']);
      expect(await store.nextDue()).toBe(400);
      // A lease that ran out (its mover died) is taken again, before untaken entries.
      expect(ids(await store.claim(1300, 10, 1000))).toEqual(['a', 'b', 'c', 'd']);
      await store.complete(['a', 'b', 'c']);
      expect(ids(await store.list(10, undefined))).toEqual(['d']);
      expect(await store.add([entry('a', 5)])).toEqual([undefined]);
      expect(await store.cancel('a')).toBe(true);
      expect(await store.cancel('a')).toBe(false);
    });
  });

  it('lists taken and untaken entries in (dueAt, id) order, page by page', async () => {
    await withLog({}, async (log) => {
      const store = sqliteScheduleStore(sqliteInternals(log));
      await store.add([entry('e', 50), entry('b', 20), entry('a', 20), entry('d', 40), entry('c', 30)]);
      await store.claim(20, 1, 1000); // takes a
      await store.claim(40, 1, 1000); // takes b
      const pages: string[][] = [];
      let after: ScheduleEntry | undefined;
      for (;;) {
        const page = await store.list(2, after);
        if (page.length === 0) break;
        pages.push(ids(page));
        after = page.at(-1);
      }
      expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
      expect(ids(await store.list(10, { dueAt: 20, id: 'a' }))).toEqual(['b', 'c', 'd', 'e']);
    });
  });

  it('plans claim, nextDue and pages on the schedule indexes (no scan, no sort of all pending)', async () => {
    await withLog({}, async (log) => {
      const { db } = sqliteInternals(log);
      const plan = (name: string, ...args: unknown[]): string =>
        (
          db.prepare(`EXPLAIN QUERY PLAN ${sqlFile(`./sql/${name}.sql`)}`).all(...args) as {
            detail: string;
          }[]
        )
          .map((row) => row.detail)
          .join('; ');
      const claim = { now: 0, max: 10, until: 1 };
      expect(plan('claim-scheduled-due', claim)).toMatch(/USING (COVERING )?INDEX scheduled_due/);
      expect(plan('claim-scheduled-expired', claim)).toMatch(/USING (COVERING )?INDEX scheduled_lease/);
      expect(plan('select-scheduled-next')).toMatch(/INDEX scheduled_due.*INDEX scheduled_lease/);
      const page = plan('select-scheduled-page', { dueAt: 0, id: '', limit: 10 });
      expect(page).toMatch(/SEARCH scheduled USING INDEX scheduled_due \(\(due_at,id\)>\(\?,\?\)\)/);
      expect(page).toMatch(/SEARCH scheduled USING INDEX scheduled_lease/);
      for (const name of ['claim-scheduled-due', 'claim-scheduled-expired', 'select-scheduled-next']) {
        expect(plan(name, ...(name === 'select-scheduled-next' ? [] : [claim])), name).not.toMatch(
          /SCAN scheduled\b(?! USING)|USE TEMP B-TREE/,
        );
      }
    });
  });

  it('wakes a watcher when another process adds, not for other commits', async () => {
    await withLog({ pollIntervalMs: 20 }, async (log, path) => {
      const other = await sqliteLog({ path, scheduler: { move: false } });
      try {
        const store = sqliteScheduleStore(sqliteInternals(log));
        let calls = 0;
        const unwatch = store.watch!(() => calls++);
        await other.append([{ type: 'sched.other' }]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(calls).toBe(0);
        await other.schedule([{ type: 'sched.later' }], { delayMs: 60_000 });
        await waitFor(() => calls === 1, { timeoutMs: 2_000, message: 'the watcher did not wake' });
        unwatch();
        await other.schedule([{ type: 'sched.later' }], { delayMs: 60_000 });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(calls).toBe(1);
      } finally {
        await other.close();
      }
    });
  });

  it('a mover in another log on the file moves what this one schedules, within the poll', async () => {
    await withLog({ pollIntervalMs: 20 }, async (log, path) => {
      const mover = await sqliteLog({ path, pollIntervalMs: 20 });
      try {
        const [s] = await log.schedule([{ type: 'sched.moved' }], { delayMs: 10 });
        await waitFor(async () => (await log.get(s!.id)) !== undefined, { timeoutMs: 3_000 });
        expect(await log.scheduled()).toEqual([]);
      } finally {
        await mover.close();
      }
    });
  });

  it("waits for another process's write lock off the event loop, then fails with LOG_UNREACHABLE", async () => {
    await withLog({ busyTimeoutMs: 200 }, async (log, path) => {
      const holder = new BetterSqlite3(path);
      holder.prepare('BEGIN IMMEDIATE').run();
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      try {
        const started = Date.now();
        const error = await log
          .schedule([{ type: 'sched.locked' }], { delayMs: 1_000 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(HeraldError);
        expect((error as HeraldError).code).toBe('LOG_UNREACHABLE');
        expect(Date.now() - started).toBeGreaterThanOrEqual(200);
        expect(ticks).toBeGreaterThan(5); // the event loop went on meanwhile
        expect(await log.scheduled()).toEqual([]);
      } finally {
        clearInterval(ticker);
        holder.prepare('ROLLBACK').run();
        holder.close();
      }
      const [s] = await log.schedule([{ type: 'sched.locked' }], { delayMs: 1_000 });
      expect((await log.scheduled()).map((e) => e.event.id)).toEqual([s!.id]);
    });
  });

  it('a process killed after scheduling leaves its events to another process, which moves each once', async () => {
    const path = freshPath();
    const ids = await runAndKill('schedule', path, 50);
    expect(ids).toHaveLength(50);
    await withLog({ path, scheduler: {} }, async (log) => {
      await waitFor(async () => (await log.scheduled()).length === 0, { timeoutMs: 5_000 });
      const stored = [];
      for await (const event of log.read()) stored.push(event.id);
      expect(stored.sort()).toEqual([...ids].sort());
    });
  });

  it('a mover killed between claim and append: its lease runs out and another moves the events once', async () => {
    const path = freshPath();
    const started = Date.now(); // the child claims after this
    const ids = await runAndKill('claim', path, 20);
    expect(ids).toHaveLength(20);
    await withLog({ path, scheduler: {} }, async (log) => {
      expect(await log.cancelScheduled(ids[0]!)).toBe(false); // taken for good
      await waitFor(async () => (await log.scheduled()).length === 0, { timeoutMs: 5_000 });
      const stored = [];
      for await (const event of log.read()) stored.push(event);
      expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort());
      // Not before the dead mover's lease ran out (500 ms from its claim).
      for (const e of stored) expect(Date.parse(e.recordedat)).toBeGreaterThanOrEqual(started + 500);
    });
  });

  it('refuses bad mover options at open with INVALID_OPTION', async () => {
    const error = await sqliteLog({ path: freshPath(), scheduler: { leaseMs: 0 } }).catch((e: unknown) => e);
    expect((error as HeraldError).code).toBe('INVALID_OPTION');
  });
});
