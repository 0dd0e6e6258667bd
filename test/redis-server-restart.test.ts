/**
 * The conformance `server restart` cases on Redis: a private redis-server (`appendonly yes`,
 * `appendfsync always`, see fixtures/private-servers.ts) killed with SIGKILL and started again
 * under the case's log. Private, so no lock: the machine's shared server is never touched.
 */
import { afterAll, describe, it, vi } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import { describeEventLogConformance, type ConformanceContext } from '../src/testing/index.js';
import { privateRedis, redisBinaryMissing, type FaultServer } from './fixtures/private-servers.js';

// A case waits for a kill, a start and the log's reconnect.
vi.setConfig({ testTimeout: 60_000 });

const missing = redisBinaryMissing();

if (missing !== undefined) {
  describe('EventLog conformance: redis (private server, restarted)', () => {
    it.skip(`needs redis-server: ${missing}`, () => undefined);
  });
} else {
  const server: FaultServer = await privateRedis();
  afterAll(() => server.dispose());

  describeEventLogConformance({
    name: 'redis (private server, restarted)',
    only: ['server restart'],
    createLog: (ctx: ConformanceContext) =>
      redisLog({ url: server.url, prefix: `herald-sr-${ctx.prefix}`, scheduler: ctx.scheduler }),
    restartServer: async () => {
      await server.crash();
      await server.start();
    },
  });
}
