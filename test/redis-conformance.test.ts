import { afterAll, afterEach, describe, it } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import type { ConformanceContext } from '../src/testing/index.js';
import { describeEventLogConformance } from '../src/testing/index.js';
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

  // A key prefix per case (the case's prefix is unique); a restart opens the same prefix.
  const open = (ctx: ConformanceContext) => {
    const prefix = `herald-c-${ctx.prefix}`;
    prefixes.add(prefix);
    return redisLog({ url: REDIS_URL, prefix, retention: ctx.retention });
  };

  // The suite closed the case's log: its keys go.
  afterEach(async () => {
    const done = [...prefixes];
    prefixes.clear();
    await deletePrefixes(done);
  });
  afterAll(async () => {
    await deletePrefixes(prefixes);
    await release();
  });

  describeEventLogConformance({
    name: 'redis',
    createLog: open,
    restart: async (log, ctx) => {
      await log.close();
      return open(ctx);
    },
    // The server here runs without persistence, so the log declares `durable: false`. The
    // restart these cases do is the log's process going away (close, open again on the same
    // prefix) while the server keeps running, which holds without persistence; what a restart
    // of the server loses is test/redis-restart.test.ts's subject.
    capabilities: { durable: true },
  });
}
