import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import type { StoredEvent } from '../src/log/types.js';
import { bundleFixture } from './fixtures/sqlite-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-mp-'));
let child = '';
beforeAll(async () => {
  child = await bundleFixture('sqlite-multiprocess-child', dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one child to its end; returns the positions it acked. */
function run(path: string, tag: string, count: number): Promise<number[]> {
  const proc = spawn(process.execPath, [child, path, tag, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => {
      if (code !== 0 || !stdout.endsWith('DONE\n'))
        reject(new Error(`child ${tag} failed (${code}): ${stderr}`));
      else
        resolve(
          stdout
            .split('\n')
            .filter((l) => l.startsWith('K '))
            .map((l) => Number(l.slice(2))),
        );
    });
  });
}

describe('sqlite log shared by several processes', () => {
  it('orders appends from three processes in one gap-free sequence, and their group hands each event to one member', async () => {
    const path = join(dir, 'shared.db');
    const log = await sqliteLog({ path, pollIntervalMs: 20 });
    const PER = 1_500;
    try {
      // This process tails the log while the others write: their appends reach it by polling.
      const seen: StoredEvent[] = [];
      const subscription = log.subscribe({ from: 'start' });
      const tail = (async () => {
        for await (const event of subscription) {
          seen.push(event);
          if (seen.length === 3 * PER) return;
        }
      })();
      const acked = (await Promise.all(['a', 'b', 'c'].map((tag) => run(path, tag, PER)))).flat();
      await tail;

      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: 3 * PER }, (_, i) => i + 1));
      const shared = seen.filter((e) => e.stream === 'shared').map((e) => e.version);
      expect(shared).toEqual(Array.from({ length: shared.length }, (_, i) => i + 1));
      for (const tag of ['a', 'b', 'c']) expect(seen.filter((e) => e.type === `mp.${tag}`)).toHaveLength(PER);
      // No redelivery happened (30 s ack wait), so each event was acked by exactly one member.
      expect(acked.sort((x, y) => x - y)).toEqual(Array.from({ length: 3 * PER }, (_, i) => i + 1));
      const group = await log.group('mp');
      expect(await group.info()).toMatchObject({ pending: 0, lag: 0, ackedPosition: 3 * PER });
    } finally {
      await log.close();
    }
  }, 60_000);
});
