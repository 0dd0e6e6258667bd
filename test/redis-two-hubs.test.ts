import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config/index.js';
import { waitFor } from '../src/testing/index.js';
import { holdRedis } from './fixtures/redis-server-lock.js';
import { REDIS_URL, deletePrefixes, redisUnreachable, uniquePrefix } from './fixtures/redis-server.js';
import { openSse, type SseStream } from './helpers/sse-stream.js';

// Two `herald serve` processes, as a user runs them, on one Redis log: what is published through
// one hub is streamed by the other, in position order, because live delivery follows the shared
// log and not the request that published.
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const unreachable = await redisUnreachable();
const prefix = uniquePrefix('hubs').replace(/[^\w.-]/g, '_');
const hubs: { child: ChildProcess; base: string; output: () => string }[] = [];

function startHub(url = REDIS_URL): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--log', url], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HERALD_REDIS__PREFIX: prefix,
      HERALD_LOG_LEVEL: 'warn',
      HERALD_SHUTDOWN_GRACE_MS: '2000',
    },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /herald listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, base: match[1]!, output: () => output });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => reject(new Error(`herald exited before listening:\n${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('the redis settings of herald serve', () => {
  it('take a redis:// log with redis.prefix (default herald) from any source', () => {
    const { config } = loadConfig({ flags: { log: 'redis://127.0.0.1:6379' }, env: {} });
    expect(config.log).toBe('redis://127.0.0.1:6379');
    expect(config.redis).toEqual({ prefix: 'herald' });
    const fromEnv = loadConfig({
      env: { HERALD_LOG: 'rediss://db:6380/1', HERALD_REDIS__PREFIX: 'shop.v2' },
    });
    expect(fromEnv.config.redis.prefix).toBe('shop.v2');
    expect(fromEnv.sources.get('redis.prefix')).toBe('HERALD_REDIS__PREFIX');
  });

  it('refuse a prefix that could not start a key', () => {
    expect(() => loadConfig({ env: { HERALD_REDIS__PREFIX: 'a:b' } })).toThrow(
      'invalid config: redis.prefix (from HERALD_REDIS__PREFIX) must be letters, digits, "_", "-" or "." (1 to 100), got "a:b"',
    );
  });
});

describe.skipIf(unreachable !== undefined)('two hubs on one Redis log', () => {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    // The restart test must not restart the server under these hubs.
    release = await holdRedis();
    hubs.push(...(await Promise.all([startHub(), startHub()])));
  }, 60_000);
  afterAll(async () => {
    const codes = await Promise.all(hubs.map((h) => stop(h.child)));
    await deletePrefixes([prefix]);
    await release?.();
    expect(codes).toEqual(hubs.map(() => 0));
  });

  it('streams on one hub, in position order, what is published through the other', async () => {
    const a = hubs[0]!;
    const b = hubs[1]!;
    const stream: SseStream = await openSse(`${b.base}/v1/sse?types=hubs.>&from=start`);
    try {
      const positions: number[] = [];
      for (let i = 0; i < 30; i++) {
        const target = i % 3 === 0 ? b : a; // mostly through A, some through B
        const res = await fetch(`${target.base}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'hubs.tick', data: { i } }),
        });
        expect(res.status).toBe(201);
        positions.push(((await res.json()) as { events: { position: number }[] }).events[0]!.position);
      }
      await waitFor(() => stream.events.filter((e) => e.type === 'hubs.tick').length >= 30, {
        timeoutMs: 20_000,
      });
      const got = stream.events.filter((e) => e.type === 'hubs.tick').map((e) => Number(e.lastEventId));
      expect(got).toEqual([...positions].sort((x, y) => x - y));
      expect(new Set(got).size).toBe(30);
      const data = stream.events.map((e) => (JSON.parse(e.data) as { data: { i: number } }).data.i);
      expect(new Set(data).size).toBe(30);
    } finally {
      stream.close();
    }
  });

  it('answers queries on either hub from the same log', async () => {
    const [fromA = [], fromB = []] = await Promise.all(
      hubs.map(async (h) => {
        const res = await fetch(`${h.base}/v1/events?types=hubs.>&limit=1000`);
        return ((await res.json()) as { events: { id: string }[] }).events.map((e) => e.id);
      }),
    );
    expect(fromA.length).toBeGreaterThanOrEqual(30);
    expect(fromB).toEqual(fromA);
  });

  it('prints the URL without its password in the listening line', async () => {
    const url = new URL(REDIS_URL);
    url.username = 'default';
    url.password = 'not-a-real-secret';
    // Redis without a password accepts AUTH only when one is set, so this hub may not come up:
    // what matters is that no line it prints shows the password.
    const hub = await startHub(url.href).catch((error: unknown) => error as Error);
    const text = hub instanceof Error ? hub.message : hub.output();
    if (!(hub instanceof Error)) await stop(hub.child);
    expect(text).not.toContain('not-a-real-secret');
    if (!(hub instanceof Error)) expect(text).toContain('default:***@');
  }, 30_000);
});
