import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built `herald` command as a user runs it (`npm test` builds first).
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const data = mkdtempSync(join(tmpdir(), 'herald-serve-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

function start(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<{ code: number | null; output: string }>;
} {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
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
    expect(output).toMatch(
      /refusing to listen on 0\.0\.0\.0: no authentication is configured \(host from --host\)/,
    );
  });

  it('binds beyond loopback when auth is configured', async () => {
    const keys = JSON.stringify([{ name: 'ops', key: 'serve-test-key', admin: true }]);
    const { child, url, exit } = start(['--port', '0', '--log', 'memory'], {
      env: { HERALD_HOST: '0.0.0.0', HERALD_AUTH__KEYS: keys },
    });
    // Fastify names the first address of 0.0.0.0 (a loopback one) in its listening line.
    const base = await url;
    expect((await fetch(`${base}/v1/events`)).status).toBe(401);
    const authorized = await fetch(`${base}/v1/events`, {
      headers: { authorization: 'Bearer serve-test-key' },
    });
    expect(authorized.status).toBe(200);
    child.kill('SIGTERM');
    expect((await exit).code).toBe(0);
  });
});

/** A port that is taken for the whole test, so a hub told to use it would fail to start. */
async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    release: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('herald serve configuration', () => {
  it('takes settings from the file, overridden by HERALD_* variables, overridden by flags', async () => {
    const taken = await takenPort();
    try {
      const config = join(data, 'precedence.yaml');
      writeFileSync(config, `port: ${taken.port}\nhost: 127.0.0.2\nlog: memory\nlogLevel: warn\n`);
      // The file's port is taken and its host is overridden: only the flag and the variable make it start.
      const flagged = start(['--config', config, '--port', '0'], {
        env: { HERALD_PORT: String(taken.port), HERALD_HOST: '127.0.0.1' },
      });
      const address = await flagged.url;
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(address).not.toBe(`http://127.0.0.1:${taken.port}`);
      flagged.child.kill('SIGTERM');
      const stopped = await flagged.exit;
      expect(stopped.output).toContain(`(log: memory, config: ${config})`);

      const fromEnv = start([], { env: { HERALD_CONFIG: config, HERALD_PORT: '0' } });
      expect(await fromEnv.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      fromEnv.child.kill('SIGTERM');
      const envExit = await fromEnv.exit;
      expect(envExit).toMatchObject({ code: 0 });
    } finally {
      await taken.release();
    }
  });

  it('reads ./herald.yaml when no config file is named', async () => {
    const cwd = mkdtempSync(join(data, 'cwd-'));
    writeFileSync(join(cwd, 'herald.yaml'), 'port: 0\nlog: memory\n');
    const { child, url, exit } = start([], { cwd });
    await url;
    child.kill('SIGTERM');
    expect((await exit).output).toContain('(log: memory, config: herald.yaml)');
  });

  it('fails at start on a bad value, naming the key and where it came from', async () => {
    const { exit, url } = start(['--port', '0', '--log', 'memory'], {
      env: { HERALD_LIVE__KEEP_ALIVE_MS: 'abc' },
    });
    url.catch(() => undefined);
    const { code, output } = await exit;
    expect(code).toBe(1);
    expect(output).toContain(
      'herald: invalid config: live.keepAliveMs (from HERALD_LIVE__KEEP_ALIVE_MS) must be a positive integer, got "abc"',
    );
  });

  it('fails at start on an unknown key in the file, with its line and a suggestion', async () => {
    const config = join(data, 'typo.yaml');
    writeFileSync(config, 'log: memory\nlive:\n  keepAlive: 100\n');
    const { exit, url } = start(['--config', config]);
    url.catch(() => undefined);
    const { code, output } = await exit;
    expect(code).toBe(1);
    expect(output).toContain(
      `herald: invalid config: live.keepAlive (from ${config}:3) is not a known setting; did you mean live.keepAliveMs?`,
    );
  });

  it('refuses a URL of no backend, naming the key and hiding the password', async () => {
    const { exit, url } = start(['--log', 'mysql://u:pw@localhost:3306']);
    url.catch(() => undefined);
    const { code, output } = await exit;
    expect(code).toBe(1);
    expect(output).toContain(
      'herald: invalid config: log (from --log) must be sqlite, memory, or a postgres://',
    );
    expect(output).not.toContain(':pw@');
  });
});
