import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built `herald` command as a user runs it (`npm test` builds first).
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** Runs `herald serve` until its listening line, then stops it; resolves with what it printed. */
async function serveOnce(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(process.execPath, [bin, 'serve', '--log', 'memory', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HERALD_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const listening = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^herald listening on .*$/m.exec(stdout);
      if (line) resolve(line[0]);
    });
    void exited.then(() => reject(new Error(`herald exited before listening:\n${stdout}${stderr}`)));
  });
  // The line names a URL that answers: the port is the one the system chose for --port 0.
  const url = /^herald listening on (http:\/\/\S+) /.exec(listening)![1]!;
  expect(new URL(url).port).not.toBe('0');
  expect((await fetch(`${url}/v1/events`)).status).toBe(200);
  child.kill('SIGTERM');
  return { stdout, stderr, code: await exited };
}

describe('herald serve says where it listens', () => {
  it('prints the port --port 0 really bound, and no warning', async () => {
    const { stdout, stderr, code } = await serveOnce(['--port', '0']);
    expect(stdout).toMatch(/^herald listening on http:\/\/127\.0\.0\.1:[1-9]\d* \(log: memory\)\n/);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('says it is bound to every interface and warns on stderr when --insecure exposes it', async () => {
    const { stdout, stderr, code } = await serveOnce(['--port', '0', '--host', '0.0.0.0', '--insecure']);
    const [, port, again] =
      /^herald listening on http:\/\/127\.0\.0\.1:(\d+) \(every interface, 0\.0\.0\.0:(\d+); log: memory\)$/m.exec(
        stdout,
      )!;
    expect(again).toBe(port);
    expect(stderr).toBe(
      'herald: warning: insecure (from --insecure): listening on 0.0.0.0 with no authentication: ' +
        'anyone who can reach this port can read every event and publish any. Configure auth.keys ' +
        'or auth.jwt (docs/auth.md).\n',
    );
    expect(code).toBe(0);
  });

  it('warns that --insecure changes nothing on loopback', async () => {
    const { stderr } = await serveOnce(['--port', '0', '--insecure']);
    expect(stderr).toBe(
      'herald: warning: insecure (from --insecure) is set but changes nothing here (127.0.0.1 is loopback)\n',
    );
  });
});
