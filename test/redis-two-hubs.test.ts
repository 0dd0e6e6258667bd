import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config/index.js';
import { holdRedis } from './fixtures/redis-server-lock.js';
import { REDIS_URL, deletePrefixes, redisUnreachable, uniquePrefix } from './fixtures/redis-server.js';
import {
  expectSameQueries,
  expectStreamedAcrossHubs,
  startHubProcess,
  stopHubProcess,
  type HubProcess,
} from './helpers/hub-process.js';

// Two `herald serve` processes, as a user runs them, on one Redis log: what is published through
// one hub is streamed by the other, in position order, because live delivery follows the shared
// log and not the request that published.
const unreachable = await redisUnreachable();
const prefix = uniquePrefix('hubs').replace(/[^\w.-]/g, '_');
const hubs: HubProcess[] = [];
const startHub = (url = REDIS_URL) => startHubProcess(url, { HERALD_REDIS__PREFIX: prefix });
const stop = stopHubProcess;

describe('the redis settings of herald serve', () => {
  it('take a redis:// log with redis.prefix (default herald) from any source', () => {
    const { config } = loadConfig({ flags: { log: 'redis://127.0.0.1:6379' }, env: {} });
    expect(config.log).toBe('redis://127.0.0.1:6379');
    expect(config.backends.redis).toEqual({ prefix: 'herald' });
    const fromEnv = loadConfig({
      env: { HERALD_LOG: 'rediss://db:6380/1', HERALD_REDIS__PREFIX: 'shop.v2' },
    });
    expect(fromEnv.config.backends.redis?.prefix).toBe('shop.v2');
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
    await expectStreamedAcrossHubs(hubs[0]!, hubs[1]!, 30);
  });

  it('answers queries on either hub from the same log', async () => {
    await expectSameQueries(hubs, 30);
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
