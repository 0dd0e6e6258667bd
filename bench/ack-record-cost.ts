/**
 * What a record of acks shared by hubs would cost a NATS group: group consumption (pull 100, ack
 * each) as it is, against the same with each ack also written to a stream (one awaited JetStream
 * publish per ack, the acks of a pull written at once), the least such a record needs before a
 * caller could hear `acked`. Each figure is the best of 3 rounds, the two taking turns, on a
 * fresh group per round. `npx tsx bench/ack-record-cost.ts` (HERALD_BENCH_NATS_URL, default
 * 127.0.0.1:4222).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsLog } from '../src/backends/nats/index.js';
import { handle, measureTurns, printTable } from './harness.js';

const SERVERS = process.env['HERALD_BENCH_NATS_URL'] ?? '127.0.0.1:4222';
const CONSUMED = 20_000;
const PULL = 100;

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const stream = `HERALD_ACKREC_${suffix}`;
const nc = await connect({ servers: SERVERS });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const log = await natsLog({ servers: SERVERS, stream, subjectPrefix: `ackrec_${suffix}` });
const records = `${stream}_ACKS`;
await jsm.streams.add({ name: records, subjects: [`_ackrec_${suffix}.>`] });
try {
  for (let i = 0; i < CONSUMED; i += 1_000)
    await log.append(
      Array.from({ length: 1_000 }, (_, j) => ({ type: 'bench.consume', data: { n: i + j } })),
    );
  let run = 0;
  const drain = (recorded: boolean) => async (): Promise<void> => {
    const name = `g${run++}`;
    const group = await log.group(name, { types: ['bench.consume'], startAt: 'start' });
    for (let done = 0; done < CONSUMED;) {
      const deliveries = await group.pull({ max: PULL });
      for (const d of deliveries) handle(d.event.data);
      await Promise.all(
        deliveries.map(async (d) => {
          if (recorded) await js.publish(`_ackrec_${suffix}.${name}.${d.event.position}`, new Uint8Array(0));
          await d.ack();
        }),
      );
      done += deliveries.length;
    }
  };
  const rates = await measureTurns(CONSUMED, [drain(false), drain(true)], 3);
  printTable(
    'NATS: group consumption with a durable ack record',
    [
      { name: `herald group (pull ${PULL}, ack each)`, perSecond: rates[0]! },
      { name: `same, each ack also written to a stream first`, perSecond: rates[1]! },
    ],
    `herald group (pull ${PULL}, ack each)`,
  );
} finally {
  await log.close();
  for (const name of [stream, `${stream}_DLQ`, records]) await jsm.streams.delete(name).catch(() => false);
  await nc.close();
}
