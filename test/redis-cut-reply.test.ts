import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import type { EventLog } from '../src/log/types.js';
import { deletePrefixes, REDIS_URL, redisUnreachable, uniquePrefix } from './fixtures/redis-server.js';
import { holdRedis } from './fixtures/redis-server-lock.js';

/**
 * A TCP proxy in front of Redis that can cut a connection at the worst moment: after Redis ran
 * the next script call, before its reply reaches the client. The client's retry then runs the
 * same append again on a server that already stored it.
 */
function cuttingProxy(target: URL): { server: Server; armed: { cut: boolean }; port: () => number } {
  const armed = { cut: false };
  const server = createServer((client: Socket) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    let scriptSent = false;
    client.on('data', (chunk) => {
      if (armed.cut && /EVALSHA|EVAL/i.test(chunk.toString('latin1'))) scriptSent = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (scriptSent) {
        // The script ran; its reply is lost with the connection.
        armed.cut = false;
        scriptSent = false;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return {
    server,
    armed,
    port: () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      return address.port;
    },
  };
}

const unreachable = await redisUnreachable();

describe('redis log: a reply lost with its connection', () => {
  if (unreachable !== undefined) {
    it.skip(`needs Redis: ${unreachable}`, () => undefined);
    return;
  }
  const prefix = uniquePrefix('cut');
  const proxy = cuttingProxy(new URL(REDIS_URL));
  let log: EventLog;
  let release: () => Promise<void>;
  beforeAll(async () => {
    release = await holdRedis();
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    log = await redisLog({ url: `redis://127.0.0.1:${proxy.port()}`, prefix, retryTimeoutMs: 10_000 });
    await log.append([{ type: 't.warm', data: {} }]); // the scripts are loaded
  });
  afterAll(async () => {
    await log.close();
    await new Promise((resolve) => proxy.server.close(resolve));
    await deletePrefixes([prefix]);
    await release();
  });

  it("never reports a caller's first attempt as a duplicate of itself", async () => {
    proxy.armed.cut = true;
    const [stored] = await log.append([{ id: 'first-attempt', type: 't.cut', data: { n: 1 } }]);
    expect(proxy.armed.cut).toBe(false); // the cut happened
    expect(stored).toMatchObject({ id: 'first-attempt', duplicate: false });
    // Stored once, where the caller was told.
    const all: string[] = [];
    for await (const e of log.read({ types: ['t.cut'] })) all.push(`${e.id}@${e.position}`);
    expect(all).toEqual([`first-attempt@${stored!.position}`]);
  });

  it('still reports a real duplicate through a cut, and a batch mixing both', async () => {
    const [before] = await log.append([{ id: 'seen-before', type: 't.mix', data: {} }]);
    proxy.armed.cut = true;
    const results = await log.append([
      { id: 'seen-before', type: 't.mix', data: {} },
      { id: 'new-one', type: 't.mix', data: {} },
      { id: 'new-one', type: 't.mix', data: {} },
    ]);
    expect(proxy.armed.cut).toBe(false);
    expect(results.map((r) => [r.id, r.duplicate])).toEqual([
      ['seen-before', true],
      ['new-one', false],
      ['new-one', true],
    ]);
    expect(results[0]!.position).toBe(before!.position);
    expect(results[2]!.position).toBe(results[1]!.position);
  });
});
