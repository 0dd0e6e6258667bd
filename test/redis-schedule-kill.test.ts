import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { deletePrefixes, REDIS_URL, redisUnreachable, uniquePrefix } from './fixtures/redis-server.js';

// The child runs the built package (`npm test` builds first).
const child = fileURLToPath(new URL('./fixtures/schedule-kill-child.mjs', import.meta.url));
const unreachable = await redisUnreachable();
const prefixes: string[] = [];
afterAll(() => deletePrefixes(prefixes));

/** Runs the child until READY, kills it with SIGKILL, returns the ids it scheduled. */
function scheduleAndKill(prefix: string, count: number): Promise<string[]> {
  const proc = spawn(process.execPath, [child, 'redis', REDIS_URL, prefix, String(count)], {
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
      if (signal !== 'SIGKILL') return reject(new Error(`the child ended with ${code}: ${stderr}`));
      resolve(
        stdout
          .split('\n')
          .filter((line) => line.startsWith('S '))
          .map((line) => line.slice(2)),
      );
    });
  });
}

describe('redis scheduled delivery after the scheduling process is killed', () => {
  if (unreachable !== undefined) {
    it.skip(`needs Redis: ${unreachable}`, () => undefined);
    return;
  }
  it('another process moves every event the killed one scheduled, once, not early', async () => {
    const prefix = uniquePrefix('schedkill');
    prefixes.push(prefix);
    const ids = await scheduleAndKill(prefix, 50);
    expect(ids).toHaveLength(50);
    const log: EventLog = await redisLog({ url: REDIS_URL, prefix });
    try {
      const wanted = new Set(ids);
      const found = await waitFor(
        async () => {
          const out: StoredEvent[] = [];
          for await (const e of log.read()) if (wanted.has(e.id)) out.push(e);
          return out.length === ids.length ? out : undefined;
        },
        { timeoutMs: 10_000, message: 'the killed process’s events were not all moved' },
      );
      expect(new Set(found!.map((e) => e.id)).size).toBe(ids.length);
      for (const e of found!)
        expect(Date.parse(e.recordedat)).toBeGreaterThanOrEqual(Date.parse(e.deliverat!));
      expect(await log.scheduled()).toEqual([]);
    } finally {
      await log.close();
    }
  });
});
