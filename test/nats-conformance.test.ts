import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import type { ConformanceContext } from '../src/testing/index.js';
import { describeEventLogConformance } from '../src/testing/index.js';
import { startCuttingProxy } from './fixtures/cutting-proxy.js';
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
  // The cut reply cases' logs connect through it: it loses JetStream's ack of a publish.
  const proxy = await startCuttingProxy(NATS_URL);

  const open = (ctx: ConformanceContext, through?: string) => {
    const stream = `HERALD_TEST_${ctx.prefix}`;
    streams.add(stream);
    return natsLog({
      ...(through === undefined ? { connection: nc } : { servers: through }),
      stream,
      subjectPrefix: `heraldtest.${ctx.prefix}`,
      retention: ctx.retention,
      scheduler: ctx.scheduler,
    });
  };

  const drop = async (names: Iterable<string>): Promise<void> => {
    // Each log's dead-letter stream (`<stream>_DLQ`, created with its first group) and schedule
    // streams (`<stream>_SCHED`, `<stream>_SCHED_BUCKETS`) go too.
    for (const name of names)
      for (const stream of [name, `${name}_DLQ`, `${name}_SCHED`, `${name}_SCHED_BUCKETS`])
        await jsm.streams.delete(stream).catch(() => false);
  };

  afterEach(async () => {
    const done = [...streams];
    streams.clear();
    await drop(done);
  });
  afterAll(async () => {
    await drop(streams);
    await nc.close();
    await proxy.close();
    await release();
  });

  describeEventLogConformance({
    name: 'nats',
    createLog: open,
    // Another log object on the same JetStream stream and prefix, as another process would open it.
    openSecond: (ctx) => open(ctx),
    restart: async (log, ctx) => {
      await log.close();
      return open(ctx);
    },
    cutReply: {
      // Its own connection, through the proxy.
      createLog: (ctx) => open(ctx, `${proxy.host}:${proxy.port}`),
      // A publish of an event of this case went through; JetStream's PubAck (a MSG on the
      // publisher's inbox, `{"stream":"HERALD_TEST_…", "seq":…}`) is lost with the connection.
      arm: (ctx) =>
        proxy.arm(
          (chunk) => chunk.includes(`PUB heraldtest.${ctx.prefix}.`),
          new RegExp(`\\{"stream":\\s*"HERALD_TEST_${ctx.prefix}",\\s*"seq":`),
        ),
      fired: () => proxy.fired,
    },
  });
}
