import { afterAll, afterEach, describe, it } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import type { ConformanceContext } from '../src/testing/index.js';
import { describeEventLogConformance } from '../src/testing/index.js';
import { startCuttingProxy } from './fixtures/cutting-proxy.js';
import { deletePrefixes, REDIS_URL, redisUnreachable } from './fixtures/redis-server.js';
import { holdRedis } from './fixtures/redis-server-lock.js';

const unreachable = await redisUnreachable();

if (unreachable !== undefined) {
  describe('EventLog conformance: redis', () => {
    it.skip(`needs Redis: ${unreachable}`, () => undefined);
  });
} else {
  // Not while the restart test restarts the server.
  const release = await holdRedis();
  const prefixes = new Set<string>();
  // The cut reply cases' logs connect through it: it loses the reply of a script call.
  const proxy = await startCuttingProxy(REDIS_URL);

  // A key prefix per case (the case's prefix is unique); a restart opens the same prefix.
  const open = (ctx: ConformanceContext, through?: { url: string; retryTimeoutMs: number }) => {
    const prefix = `herald-c-${ctx.prefix}`;
    prefixes.add(prefix);
    return redisLog({
      url: REDIS_URL,
      prefix,
      retention: ctx.retention,
      scheduler: ctx.scheduler,
      ...through,
    });
  };

  // The suite closed the case's log: its keys go.
  afterEach(async () => {
    const done = [...prefixes];
    prefixes.clear();
    await deletePrefixes(done);
  });
  afterAll(async () => {
    await deletePrefixes(prefixes);
    await proxy.close();
    await release();
  });

  describeEventLogConformance({
    name: 'redis',
    createLog: open,
    // Another process's log object on the same prefix.
    openSecond: (ctx) => open(ctx),
    restart: async (log, ctx) => {
      await log.close();
      return open(ctx);
    },
    // The server here runs without persistence: the log declares `survivesReopen` (the restart
    // cases close it and open it again while the server keeps running) but not
    // `survivesServerRestart`; what a restart of this server loses is test/redis-restart.test.ts's
    // subject, and test/redis-server-restart.test.ts restarts a persisting server of its own.
    cutReply: {
      // A short retry budget: a cut the log does not recover from fails the case fast.
      createLog: (ctx) => open(ctx, { url: `redis://${proxy.host}:${proxy.port}`, retryTimeoutMs: 3_000 }),
      // The script call that appends to this case's keys ran; its reply is lost.
      arm: (ctx) =>
        proxy.arm((chunk) => /EVALSHA|EVAL/i.test(chunk.toString('latin1')) && chunk.includes(ctx.prefix)),
      fired: () => proxy.fired,
    },
  });
}
