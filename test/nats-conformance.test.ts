import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import type { ConformanceContext } from '../src/testing/index.js';
import { describeEventLogConformance } from '../src/testing/index.js';
import { NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNats } from './fixtures/nats-server-lock.js';

const unreachable = await natsUnreachable();

if (unreachable !== undefined) {
  describe('EventLog conformance: nats', () => {
    it.skip(`needs NATS JetStream: ${unreachable}`, () => undefined);
  });
} else {
  // One connection for every case (the `connection` option); each case gets its own JetStream
  // stream and subject prefix, deleted when the case ends (with the ordered consumers on it).
  // The restart test (nats-restart.test.ts) waits until this file is done with the server.
  const release = await holdNats();
  const nc: NatsConnection = await connect({ servers: NATS_URL });
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const streams = new Set<string>();

  const open = (ctx: ConformanceContext) => {
    const stream = `HERALD_TEST_${ctx.prefix}`;
    streams.add(stream);
    return natsLog({
      connection: nc,
      stream,
      subjectPrefix: `heraldtest.${ctx.prefix}`,
      retention: ctx.retention,
    });
  };

  const drop = async (names: Iterable<string>): Promise<void> => {
    // Each log's dead-letter stream (`<stream>_DLQ`, created with its first group) goes too.
    for (const name of names)
      for (const stream of [name, `${name}_DLQ`]) await jsm.streams.delete(stream).catch(() => false);
  };

  afterEach(async () => {
    const done = [...streams];
    streams.clear();
    await drop(done);
  });
  afterAll(async () => {
    await drop(streams);
    await nc.close();
    await release();
  });

  describeEventLogConformance({
    name: 'nats',
    createLog: open,
    restart: async (log, ctx) => {
      await log.close();
      return open(ctx);
    },
  });
}
