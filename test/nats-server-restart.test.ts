/**
 * The conformance `server restart` cases on NATS: a private nats-server with JetStream (file
 * storage in a directory of its own, see fixtures/private-servers.ts) killed with SIGKILL and
 * started again under the case's log. Private, so no lock: the machine's shared server is never
 * touched.
 */
import { afterAll, describe, it, vi } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import { describeEventLogConformance, type ConformanceContext } from '../src/testing/index.js';
import { natsBinaryMissing, privateNats, type FaultServer } from './fixtures/private-servers.js';

// A case waits for a kill, a start (JetStream recovers its streams) and the log's reconnect.
vi.setConfig({ testTimeout: 60_000 });

const missing = natsBinaryMissing();

if (missing !== undefined) {
  describe('EventLog conformance: nats (private server, restarted)', () => {
    it.skip(`needs nats-server: ${missing}`, () => undefined);
  });
} else {
  const server: FaultServer = await privateNats();
  afterAll(() => server.dispose());

  describeEventLogConformance({
    name: 'nats (private server, restarted)',
    only: ['server restart'],
    createLog: (ctx: ConformanceContext) =>
      natsLog({
        servers: server.url,
        stream: `HERALD_SR_${ctx.prefix}`,
        subjectPrefix: `heraldsr.${ctx.prefix}`,
        scheduler: ctx.scheduler,
      }),
    restartServer: async () => {
      await server.crash();
      await server.start();
    },
  });
}
