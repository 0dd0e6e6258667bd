import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
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

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI against the hub; `done` settles when it exits. */
function start(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, HERALD_URL: hub, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  const done = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ code, ...output })));
  return { child, output, done };
}

const run = (args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<Run> =>
  start(args, options).done;

describe('herald publish and herald events', () => {
  it('publishes an event that herald events then lists, with the next cursor', async () => {
    const published = await run(['publish', 'cli.order.created', '{"id":"o-1"}', '--source', 'cli-test']);
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    const [, id, position] = /^published cli\.order\.created as (\S+) at position (\d+)\n$/.exec(
      published.stdout,
    )!;
    expect(await log.get(id!)).toMatchObject({
      type: 'cli.order.created',
      source: 'cli-test',
      data: { id: 'o-1' },
    });

    const listed = await run(['events', '--types', 'cli.order.>', '--after', String(Number(position) - 1)]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${position} \\S+ cli\\.order\\.created \\{"id":"o-1"\\}\\n`));
    expect(listed.stdout).toContain(`next: herald events --after ${position}`);

    const json = await run(['events', '--types', 'cli.order.>', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      events: [{ id, data: { id: 'o-1' } }],
      next: Number(position),
    });
  });

  it('reads the data from stdin with "-" and appends to a stream with an expected version', async () => {
    const first = await run(
      ['publish', 'cli.cart.added', '-', '--stream', 'cart-1', '--expected-version', 'no_stream'],
      {
        input: '{"sku":"a"}',
      },
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/at position \d+ \(stream cart-1, version 1\)/);

    const conflict = await run([
      'publish',
      'cli.cart.added',
      '{}',
      '--stream',
      'cart-1',
      '--expected-version',
      'no_stream',
    ]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(
      /^herald: the hub answered 409 CONCURRENCY_CONFLICT: stream "cart-1" is at version 1/,
    );
  });

  it("prints the hub's error code and message for a 4xx and exits 1", async () => {
    const bad = await run(['publish', 'cli..broken', '{}']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^herald: the hub answered 400 INVALID_\w+: .*cli\.\.broken/);
  });

  it('refuses data that is not JSON before calling the hub', async () => {
    const bad = await run(['publish', 'cli.x', '{nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^herald: the data in the json argument is not valid JSON/);
  });

  it('says which hub it cannot reach and why', async () => {
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await run(['events', '--url', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `herald: cannot reach the hub at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  });
});

describe('herald groups and herald dlq', () => {
  it('lists groups, lists dead letters, redrives and purges them', async () => {
    const [failed] = await log.append([{ type: 'cli.pay.failed', data: { n: 1 } }]);
    const group = await log.group('cli-billing', {
      types: ['cli.pay.>'],
      startAt: failed!.position,
      maxDeliveries: 1,
    });
    for (const delivery of await group.pull({ max: 10 }))
      await delivery.nack({ error: 'card declined', deadLetter: true });

    const groups = await run(['groups']);
    expect(groups.code).toBe(0);
    expect(groups.stdout.split('\n')[0]).toMatch(/^name\s+ackedPosition\s+pending\s+lag\s+deadLetters$/);
    expect(groups.stdout).toMatch(/^cli-billing\s+\d+\s+0\s+0\s+1$/m);

    const listed = await run(['dlq', 'list', 'cli-billing']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`^${failed!.position}\\s+cli\\.pay\\.failed\\s+1\\s+\\S+\\s+card declined$`, 'm'),
    );
    expect(listed.stdout).toContain(`(next page: --after ${failed!.position})`);
    const after = await run(['dlq', 'list', 'cli-billing', '--after', String(failed!.position)]);
    expect(after.stdout).toBe('no dead letters in cli-billing\n');

    const errors = await run(['dlq', 'errors', 'cli-billing']);
    expect(errors.code).toBe(0);
    expect(errors.stdout).toMatch(/^count\s+first seen\s+last seen\s+error$/m);
    expect(errors.stdout).toMatch(/^1\s+\S+\s+\S+\s+card declined$/m);
    const other = await run(['dlq', 'redrive', 'cli-billing', '--error', 'no such error']);
    expect(other.stdout).toBe('redriven 0 dead letter(s) of cli-billing with error "no such error"\n');
    const mixed = await run(['dlq', 'redrive', 'cli-billing', '3', '--error', 'card declined']);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/--error redrives .* without positions/);

    const byError = await run(['dlq', 'redrive', 'cli-billing', '--error', 'card declined']);
    expect(byError.stdout).toBe('redriven 1 dead letter(s) of cli-billing with error "card declined"\n');
    for (const delivery of await group.pull({ max: 10 }))
      await delivery.nack({ error: 'again', deadLetter: true });
    const redriven = await run(['dlq', 'redrive', 'cli-billing', String(failed!.position)]);
    expect(redriven.stdout).toBe('redriven 1 dead letter(s) of cli-billing\n');
    for (const delivery of await group.pull({ max: 10 }))
      await delivery.nack({ error: 'again', deadLetter: true });

    const refused = await run(['dlq', 'purge', 'cli-billing']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/would delete every dead letter of cli-billing: pass --yes/);
    const purged = await run(['dlq', 'purge', 'cli-billing', '--yes']);
    expect(purged.stdout).toBe('purged 1 dead letter(s) of cli-billing\n');
    expect(await group.deadLetters()).toEqual([]);
  });

  it('names a group the hub does not know', async () => {
    const missing = await run(['dlq', 'list', 'cli-nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'herald: the hub answered 404 NOT_FOUND: no consumer group named "cli-nope"\n',
    );
  });
});

describe('herald tail', () => {
  it('prints the events of the hub, history then live, and exits 0 on Ctrl-C', async () => {
    const [before] = await log.append([{ type: 'cli.live.before', data: { n: 1 } }]);
    const tail = start(['tail', 'cli.live.>', '--from', String(before!.position)]);
    await waitFor(() => tail.output.stdout.includes('cli.live.before'), {
      message: 'history was not printed',
    });
    const published = await run(['publish', 'cli.live.after', '{"n":2}']);
    expect(published.code).toBe(0);
    await waitFor(() => tail.output.stdout.includes('cli.live.after'), {
      message: 'the live event was not printed',
    });
    tail.child.kill('SIGINT');
    const { code, stdout } = await tail.done;
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${before!.position} \\S+ cli\\.live\\.before \\{"n":1\\}$`));
    expect(lines[1]).toMatch(/^\d+ \S+ cli\.live\.after \{"n":2\}$/);
  });

  it('follows a server-sent event stream, resumes with Last-Event-ID after a drop, and exits 0 on Ctrl-C', async () => {
    const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
    const frame = (position: number, type: string, data: unknown): string =>
      `id: ${position}\nevent: ${type}\ndata: ${JSON.stringify({ position, time: '2025-01-01T00:00:00Z', type, data })}\n\n`;
    // A fake of the hub's SSE endpoint: the first connection sends one event and drops.
    const fake = createHttpServer((req, res) => {
      requests.push({ url: req.url!, headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (requests.length === 1) {
        res.end(`retry: 10\n: a comment\n${frame(1, 'fake.created', { n: 1 })}`);
      } else {
        res.write(frame(2, 'fake.updated', { n: 2 }));
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    try {
      const tail = start(['tail', 'fake.>', '--from', 'start', '--url', url, '--token', 't0ken']);
      await waitFor(() => tail.output.stdout.includes('fake.updated'), {
        message: 'the tail did not print event 2',
      });
      tail.child.kill('SIGINT');
      const { code, stdout, stderr } = await tail.done;
      expect(code).toBe(0);
      expect(stdout).toBe(
        '1 2025-01-01T00:00:00Z fake.created {"n":1}\n2 2025-01-01T00:00:00Z fake.updated {"n":2}\n',
      );
      expect(stderr).toMatch(/the hub closed the stream; reconnecting in \d+ ms after 1/);
      expect(requests[0]!.url).toBe('/v1/sse?named=false&types=fake.%3E&from=start');
      expect(requests[0]!.headers).toMatchObject({
        accept: 'text/event-stream',
        authorization: 'Bearer t0ken',
      });
      expect(requests[0]!.headers['last-event-id']).toBeUndefined();
      expect(requests[1]!.headers['last-event-id']).toBe('1');
    } finally {
      fake.closeAllConnections();
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  it('prints each event as JSON with --json', async () => {
    const fake = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `id: 5\nevent: j.x\ndata: {"position":5,"type":"j.x","data":{"big":"${'y'.repeat(300)}"}}\n\n`,
      );
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const tail = start([
        'tail',
        'j.*',
        '--json',
        '--url',
        `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
      ]);
      await waitFor(() => tail.output.stdout.includes('\n'), { message: 'the tail printed nothing' });
      tail.child.kill('SIGINT');
      const { code, stdout } = await tail.done;
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ position: 5, type: 'j.x', data: { big: 'y'.repeat(300) } });
    } finally {
      fake.closeAllConnections();
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  it('refuses an invalid pattern and a bad --from before connecting', async () => {
    expect((await run(['tail', 'a.>.b'])).stderr).toMatch(/^herald: "a\.>\.b" is not a valid pattern/);
    expect((await run(['tail', 'a.>', '--from', 'yesterday'])).stderr).toMatch(
      /^herald: --from must be start, end, a position or an RFC 3339 time, got "yesterday"/,
    );
  });
});
