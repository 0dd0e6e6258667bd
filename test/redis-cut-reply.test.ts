import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import type { EventLog } from '../src/log/types.js';
import { startCuttingProxy, type CuttingProxy } from './fixtures/cutting-proxy.js';
import { deletePrefixes, REDIS_URL, redisUnreachable, uniquePrefix } from './fixtures/redis-server.js';
import { holdRedis } from './fixtures/redis-server-lock.js';

// The proxy cuts the connection after Redis ran the next script call, before its reply reaches
// the client: the client's retry runs the same append again on a server that already stored it.
const SCRIPT_CALL = /EVALSHA|EVAL/i;

const unreachable = await redisUnreachable();

describe('redis log: a reply lost with its connection', () => {
  if (unreachable !== undefined) {
    it.skip(`needs Redis: ${unreachable}`, () => undefined);
    return;
  }
  const prefix = uniquePrefix('cut');
  let proxy: CuttingProxy;
  let log: EventLog;
  let release: () => Promise<void>;
  beforeAll(async () => {
    release = await holdRedis();
    proxy = await startCuttingProxy(REDIS_URL);
    log = await redisLog({ url: `redis://${proxy.host}:${proxy.port}`, prefix, retryTimeoutMs: 10_000 });
    await log.append([{ type: 't.warm', data: {} }]); // the scripts are loaded
  });
  afterAll(async () => {
    await log.close();
    await proxy.close();
    await deletePrefixes([prefix]);
    await release();
  });

  it("never reports a caller's first attempt as a duplicate of itself", async () => {
    proxy.arm(SCRIPT_CALL);
    const [stored] = await log.append([{ id: 'first-attempt', type: 't.cut', data: { n: 1 } }]);
    expect(proxy.fired).toBe(true);
    expect(stored).toMatchObject({ id: 'first-attempt', duplicate: false });
    // Stored once, where the caller was told.
    const all: string[] = [];
    for await (const e of log.read({ types: ['t.cut'] })) all.push(`${e.id}@${e.position}`);
    expect(all).toEqual([`first-attempt@${stored!.position}`]);
  });

  it('still reports a real duplicate through a cut, and a batch mixing both', async () => {
    const [before] = await log.append([{ id: 'seen-before', type: 't.mix', data: {} }]);
    proxy.arm(SCRIPT_CALL);
    const results = await log.append([
      { id: 'seen-before', type: 't.mix', data: {} },
      { id: 'new-one', type: 't.mix', data: {} },
      { id: 'new-one', type: 't.mix', data: {} },
    ]);
    expect(proxy.fired).toBe(true);
    expect(results.map((r) => [r.id, r.duplicate])).toEqual([
      ['seen-before', true],
      ['new-one', false],
      ['new-one', true],
    ]);
    expect(results[0]!.position).toBe(before!.position);
    expect(results[2]!.position).toBe(results[1]!.position);
  });
});
