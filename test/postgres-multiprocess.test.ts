import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import type { StoredEvent } from '../src/log/types.js';
import { bundlePostgresFixture } from './fixtures/postgres-bundle.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable, uniqueSchema } from './fixtures/postgres-server.js';
import { holdServer } from './fixtures/postgres-server-lock.js';

const unreachable = await postgresUnreachable();
const dir = mkdtempSync(join(tmpdir(), 'herald-pg-mp-'));
const schema = uniqueSchema('mp');
let child = '';
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (unreachable !== undefined) return;
  release = await holdServer();
  child = await bundlePostgresFixture('postgres-multiprocess-child', dir);
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (unreachable !== undefined) return;
  await dropSchemas([schema]);
  await release?.();
});

interface ChildReport {
  readonly appended: number[];
  readonly acked: number[];
}

/** Runs one child to its end; returns the positions it appended and acked. */
function run(tag: string, count: number, total: number): Promise<ChildReport> {
  const args = [child, POSTGRES_URL, schema, tag, String(count), String(total)];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const numbers = (prefix: string): number[] =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .map((line) => Number(line.slice(prefix.length)));
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => {
      if (code !== 0 || !stdout.endsWith('DONE\n'))
        reject(new Error(`child ${tag} failed (${code}): ${stderr}`));
      else resolve({ appended: numbers('A '), acked: numbers('K ') });
    });
  });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('postgres log shared by several processes', () => {
  it('orders appends from three processes in one gap-free sequence that readers never see skip, and their group hands each event to one member', async (ctx) => {
    if (unreachable !== undefined) return ctx.skip(unreachable);
    const PER = 2_000;
    const TOTAL = 3 * PER;
    const log = await postgresLog({ connectionString: POSTGRES_URL, schema });
    try {
      // A tail that checks, event by event, that it never skips a position.
      const seen: StoredEvent[] = [];
      const skips: string[] = [];
      const subscription = log.subscribe({ from: 'start', batchSize: 64 });
      const tail = (async () => {
        for await (const event of subscription) {
          const expected = (seen.at(-1)?.position ?? 0) + 1;
          if (event.position !== expected) skips.push(`${expected} -> ${event.position}`);
          seen.push(event);
          if (seen.length === TOTAL) return;
        }
      })();
      // Repeated reads from the start: each must be a prefix 1..k of the log, never with a hole.
      const done = new AbortController();
      let reads = 0;
      const holes: string[] = [];
      const reader = (async () => {
        while (!done.signal.aborted) {
          let n = 0;
          for await (const event of log.read({ from: 'start' })) {
            if (event.position !== ++n) {
              holes.push(`read ${reads}: ${n} -> ${event.position}`);
              break;
            }
          }
          reads++;
        }
      })();
      const children = await Promise.all(['a', 'b', 'c'].map((tag) => run(tag, PER, TOTAL)));
      await tail;
      done.abort();
      await reader;

      expect(skips).toEqual([]);
      expect(holes).toEqual([]);
      expect(reads).toBeGreaterThan(1);
      expect(seen.map((e) => e.position)).toEqual(range(TOTAL));
      const appended = children.flatMap((c) => c.appended).sort((x, y) => x - y);
      expect(appended).toEqual(range(TOTAL));
      const shared = seen.filter((e) => e.stream === 'shared').map((e) => e.version);
      expect(shared).toEqual(range(shared.length));
      for (const tag of ['a', 'b', 'c']) expect(seen.filter((e) => e.type === `mp.${tag}`)).toHaveLength(PER);
      // No redelivery happened (30 s ack wait), so each event was acked by exactly one member.
      const acked = children.flatMap((c) => c.acked).sort((x, y) => x - y);
      expect(acked).toEqual(range(TOTAL));
      const group = await log.group('mp');
      expect(await group.info()).toMatchObject({ pending: 0, lag: 0, ackedPosition: TOTAL });
    } finally {
      await log.close();
    }
  }, 120_000);
});
