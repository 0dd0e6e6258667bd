import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { HeraldError } from '../src/errors/herald-error.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { StoredEvent } from '../src/log/types.js';
import {
  checkRecurring,
  recurringSchedules,
  tickId,
  type RecurringSchedule,
} from '../src/scheduling/index.js';
import { loadConfig } from '../src/server/config/load-config.js';
import { toServerOptions } from '../src/server/config/to-server-options.js';
import { createServer } from '../src/server/index.js';
import { waitFor } from '../src/testing/index.js';
import { bundleFixture } from './fixtures/sqlite-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-recurring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let child = '';
beforeAll(async () => {
  child = await bundleFixture('recurring-child', dir);
});

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof HeraldError ? error.code : 'not a HeraldError';
  }
  return undefined;
}

describe('recurring schedules', () => {
  it('refuses a schedule that cannot run, naming the field', () => {
    const ok: RecurringSchedule = { name: 'n', everyMs: 1_000, type: 'a.b' };
    expect(code(() => checkRecurring(ok))).toBeUndefined();
    expect(code(() => checkRecurring({ ...ok, everyMs: 10 }))).toBe('INVALID_OPTION');
    expect(code(() => checkRecurring({ ...ok, cron: '* * * * *' }))).toBe('INVALID_OPTION');
    expect(code(() => checkRecurring({ name: 'n', type: 'a.b' }))).toBe('INVALID_OPTION');
    expect(code(() => checkRecurring({ name: 'n', cron: 'every day', type: 'a.b' }))).toBe('INVALID_OPTION');
    expect(
      code(() => checkRecurring({ name: 'n', cron: '0 3 * * *', timezone: 'Mars/Olympus', type: 'a.b' })),
    ).toBe('INVALID_OPTION');
    expect(code(() => checkRecurring({ ...ok, name: 'a:b' }))).toBe('INVALID_OPTION');
    expect(code(() => checkRecurring({ ...ok, type: 'a..b' }))).toBe('INVALID_TYPE');
    expect(code(() => recurringSchedules(memoryLog(), [ok, ok]))).toBe('INVALID_OPTION');
  });

  it('puts the next tick in the schedule ahead of time, with an id from the name and the time', async () => {
    const log = memoryLog();
    const handle = recurringSchedules(log, [
      {
        name: 'nightly',
        cron: '0 3 * * *',
        timezone: 'Europe/Paris',
        type: 'report.nightly',
        data: { k: 1 },
      },
    ]);
    const next = handle.next('nightly')!;
    // 03:00 in Paris is 01:00 or 02:00 UTC.
    expect([1, 2]).toContain(next.getUTCHours());
    await waitFor(async () => (await log.scheduled()).length === 1, {
      message: 'the tick was not scheduled',
    });
    const [pending] = await log.scheduled();
    expect(pending).toMatchObject({
      deliverAt: next.toISOString(),
      event: {
        id: tickId('nightly', next),
        type: 'report.nightly',
        time: next.toISOString(),
        data: { k: 1 },
      },
    });
    handle.stop();
    await log.close();
  });

  it('two processes on one log produce every tick once', async () => {
    const path = join(dir, 'two.db');
    const children: ChildProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const proc = spawn(process.execPath, [child, path], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(proc);
      await new Promise<void>((resolve) =>
        proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          if (chunk.includes('READY')) resolve();
        }),
      );
    }
    const log = await sqliteLog({ path, scheduler: { move: false } });
    const ticks = async (type: string): Promise<StoredEvent[]> => {
      const out: StoredEvent[] = [];
      for await (const e of log.read({ types: [type] })) out.push(e);
      return out;
    };
    await waitFor(
      async () => (await ticks('recur.beat')).length >= 3 && (await ticks('recur.cron')).length >= 3,
      {
        timeoutMs: 15_000,
        message: 'three ticks of each schedule did not come',
      },
    );
    await Promise.all(
      children.map(
        (proc) =>
          new Promise((resolve) => {
            proc.once('exit', resolve);
            proc.stdin!.end();
          }),
      ),
    );
    for (const type of ['recur.beat', 'recur.cron']) {
      const events = await ticks(type);
      const seconds = events.map((e) => Date.parse(e.time!) / 1000);
      // Once each, one second apart, none early.
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBe(1);
      for (const e of events) expect(Date.parse(e.recordedat)).toBeGreaterThanOrEqual(Date.parse(e.time!));
    }
    await log.close();
  });

  it('herald.yaml declares schedules; the hub runs them while it listens', async () => {
    const folder = join(dir, 'config');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'herald.yaml'),
      [
        'schedules:',
        '  - name: heartbeat',
        '    everyMs: 60000',
        '    type: system.heartbeat',
        '    data: { ok: true }',
        '',
      ].join('\n'),
    );
    const { config } = loadConfig({ env: {}, cwd: folder });
    expect(config.schedules).toEqual([
      { name: 'heartbeat', everyMs: 60_000, type: 'system.heartbeat', data: { ok: true } },
    ]);
    const log = memoryLog();
    const app = createServer({ ...toServerOptions(config, log), logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    await waitFor(async () => (await log.scheduled()).length === 1, { message: 'the hub scheduled no tick' });
    const [tick] = await log.scheduled();
    expect(tick!.event).toMatchObject({ type: 'system.heartbeat', source: 'herald:schedule/heartbeat' });
    expect(Date.parse(tick!.deliverAt) % 60_000).toBe(0);
    await app.close();
    await log.close();

    writeFileSync(
      join(folder, 'herald.yaml'),
      ['schedules:', '  - name: bad', '    cron: "61 * * * *"', '    type: a.b', ''].join('\n'),
    );
    expect(() => loadConfig({ env: {}, cwd: folder })).toThrow(/schedules\[0\]\.cron/);
    writeFileSync(join(folder, 'herald.yaml'), ['schedules:', '  - name: x', '    evry: 5', ''].join('\n'));
    expect(() => loadConfig({ env: {}, cwd: folder })).toThrow(
      /schedules\[0\]\.evry .*is not a schedule field/,
    );
  });
});
