import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { createServer } from '../src/server/index.js';
import { waitFor } from '../src/testing/wait-for.js';

// The built `herald` command as a user runs it (`npm test` builds first).
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const log = memoryLog();
const app = createServer({ log });
let hub = '';

beforeAll(async () => {
  hub = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await log.close();
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, HERALD_URL: hub },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, ...output })));
}

describe('herald publish --delay/--at and herald scheduled', () => {
  it('schedules, lists in due order, cancels, and the due one enters the log', async () => {
    const soon = await run(['publish', 'cli.reminder', '{"n":1}', '--delay', '400']);
    expect(soon.stderr).toBe('');
    const [, soonId] = /^scheduled cli\.reminder as (\S+) for \S+\n$/.exec(soon.stdout)!;
    const later = await run(['publish', 'cli.reminder', '{"n":2}', '--at', '2030-01-01T00:00:00Z']);
    const [, laterId] = /^scheduled cli\.reminder as (\S+) for 2030-01-01T00:00:00\.000Z\n$/.exec(
      later.stdout,
    )!;
    const listed = await run(['scheduled', 'list']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^due\s+type\s+id\s+stream$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[2])).toEqual(
      (await log.get(soonId!)) === undefined ? [soonId, laterId] : [laterId],
    );
    const cancelled = await run(['scheduled', 'cancel', laterId!]);
    expect(cancelled.stdout).toBe(`cancelled ${laterId}: it will not be delivered\n`);
    const again = await run(['scheduled', 'cancel', laterId!]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/NOT_FOUND|no scheduled event/);
    await waitFor(async () => (await log.get(soonId!)) !== undefined, {
      message: 'the delayed event never came',
    });
    const both = await run(['publish', 'cli.reminder', '--delay', '5', '--at', '2030-01-01T00:00:00Z']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--delay or --at/);
    expect((await run(['scheduled', 'list'])).stdout).toBe('no scheduled events pending\n');
  });
});
