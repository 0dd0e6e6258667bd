import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built `herald` command as a user runs it (`npm test` builds first).
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const data = mkdtempSync(join(tmpdir(), 'herald-serve-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

function start(args: string[]): {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<{ code: number | null; output: string }>;
} {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /herald listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error(`herald exited before listening:\n${output}`)));
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
  return { child, url, exit };
}

describe('herald serve', () => {
  it('serves the HTTP API on SQLite, stops cleanly on SIGTERM, and keeps events across restarts', async () => {
    const first = start(['--port', '0', '--data', data]);
    const base = await first.url;
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'serve.test', data: { n: 1 } }),
    });
    expect(res.status).toBe(201);
    const { events } = (await res.json()) as { events: { id: string }[] };
    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    expect(stopped.code).toBe(0);
    expect(stopped.output).toContain('herald stopped');

    const second = start(['--port', '0', '--data', data]);
    const again = await (await fetch(`${await second.url}/v1/events/${events[0]!.id}`)).json();
    expect(again).toMatchObject({ type: 'serve.test', data: { n: 1 }, position: 1 });
    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  });

  it('refuses to bind beyond loopback without --insecure, saying why', async () => {
    const { exit, url } = start(['--host', '0.0.0.0', '--port', '0', '--log', 'memory']);
    url.catch(() => undefined);
    const { code, output } = await exit;
    expect(code).toBe(1);
    expect(output).toMatch(/refusing to listen on 0\.0\.0\.0: no authentication is configured/);
  });
});
