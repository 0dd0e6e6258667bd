/**
 * The NATS JetStream log against raw `@nats-io/jetstream` on the same server, in one run:
 * (a) appends with up to 1,000 in flight: herald `append` of single events from 1,000 concurrent
 *     callers, and herald `append` of 1,000-event batches, vs raw `js.publish` with up to 1,000
 *     publishes awaiting their acks at once;
 * (b) awaited single appends, one at a time, vs raw awaited `js.publish`;
 * (c) group consumption (pull 100, ack each, events decoded) vs a raw durable pull consumer
 *     (`consumer.consume()`, `m.ack()` for each message).
 * Every figure is the best of a few rounds on a fresh stream (or consumer) of the same server.
 */
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsLog } from '../src/backends/nats/index.js';
import type { EventLog } from '../src/log/types.js';
import { drainGroup, measure, printTable, type BenchRow } from './harness.js';

const SERVERS = process.env['HERALD_BENCH_NATS_URL'] ?? '127.0.0.1:4222';
const ROUNDS = 3;
const IN_FLIGHT = 1_000;
const ASYNC_EVENTS = 20_000;
const AWAITED = 2_000;
const CONSUMED = 20_000;
const PULL = 100;

const payload = (i: number) => ({ sku: `sku-${i % 1000}`, qty: (i % 7) + 1, price: 19.99 });
const encoder = new TextEncoder();
const rawEvent = (i: number): Uint8Array =>
  encoder.encode(
    JSON.stringify({
      specversion: '1.0',
      id: crypto.randomUUID(),
      source: 'bench',
      type: 'order.created',
      time: new Date().toISOString(),
      data: payload(i),
    }),
  );

/** Runs `count` calls of `one(i)` with at most `limit` in flight. */
async function inFlight(count: number, limit: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

async function appends(log: EventLog, js: JetStreamClient, raw: string): Promise<BenchRow[]> {
  const single = await measure(
    ASYNC_EVENTS,
    () => inFlight(ASYNC_EVENTS, IN_FLIGHT, (i) => log.append([{ type: 'order.created', data: payload(i) }])),
    ROUNDS,
  );
  const batched = await measure(
    ASYNC_EVENTS,
    async () => {
      for (let b = 0; b < ASYNC_EVENTS; b += IN_FLIGHT)
        await log.append(
          Array.from({ length: IN_FLIGHT }, (_, i) => ({ type: 'order.created', data: payload(b + i) })),
        );
    },
    ROUNDS,
  );
  const rawRate = await measure(
    ASYNC_EVENTS,
    () => inFlight(ASYNC_EVENTS, IN_FLIGHT, (i) => js.publish(`${raw}.order.created`, rawEvent(i))),
    ROUNDS,
  );
  // The same with what the log asks of JetStream on every message: dedup by Nats-Msg-Id and
  // an expected last sequence (pipelined, each expecting the one before: one writer here).
  const checked = await measure(
    ASYNC_EVENTS,
    async () => {
      const info = await js.publish(`${raw}.order.created`, rawEvent(0));
      let last = info.seq;
      await inFlight(ASYNC_EVENTS - 1, IN_FLIGHT, (i) =>
        js.publish(`${raw}.order.created`, rawEvent(i), {
          msgID: crypto.randomUUID(),
          expect: { lastSequence: last++ },
        }),
      );
    },
    ROUNDS,
  );
  return [
    { name: `herald natsLog (${IN_FLIGHT} concurrent single appends)`, perSecond: single },
    { name: `herald natsLog (append of ${IN_FLIGHT})`, perSecond: batched },
    { name: `raw jetstream (publish, up to ${IN_FLIGHT} in flight)`, perSecond: rawRate },
    {
      name: `raw jetstream (publish with Nats-Msg-Id and expected last sequence, up to ${IN_FLIGHT} in flight)`,
      perSecond: checked,
    },
  ];
}

async function awaited(log: EventLog, js: JetStreamClient, raw: string): Promise<BenchRow[]> {
  const herald = await measure(
    AWAITED,
    async () => {
      for (let i = 0; i < AWAITED; i++) await log.append([{ type: 'order.created', data: payload(i) }]);
    },
    ROUNDS,
  );
  const rawRate = await measure(
    AWAITED,
    async () => {
      for (let i = 0; i < AWAITED; i++) await js.publish(`${raw}.order.created`, rawEvent(i));
    },
    ROUNDS,
  );
  return [
    { name: 'herald natsLog (awaited single appends)', perSecond: herald },
    { name: 'raw jetstream (awaited publish)', perSecond: rawRate },
  ];
}

async function consumption(
  log: EventLog,
  nc: NatsConnection,
  js: JetStreamClient,
  rawStream: string,
  raw: string,
): Promise<BenchRow[]> {
  const start = (await log.bounds()).last;
  for (let i = 0; i < CONSUMED; i += 1_000)
    await log.append(
      Array.from({ length: 1_000 }, (_, j) => ({ type: 'bench.consume', data: payload(i + j) })),
    );
  await inFlight(CONSUMED, IN_FLIGHT, (i) => js.publish(`${raw}.bench.consume`, rawEvent(i)));
  let run = 0;
  const herald = await measure(
    CONSUMED,
    () => drainGroup(log, `g${run++}`, { types: ['bench.consume'], startAt: start + 1 }, CONSUMED, PULL),
    ROUNDS,
  );
  const jsm = await jetstreamManager(nc);
  const rawRate = await measure(
    CONSUMED,
    async () => {
      const durable = `raw${run++}`;
      await jsm.consumers.add(rawStream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${raw}.bench.consume`,
      });
      const consumer = await js.consumers.get(rawStream, durable);
      const messages = await consumer.consume({ max_messages: PULL });
      let done = 0;
      for await (const m of messages) {
        m.ack();
        if (++done >= CONSUMED) break;
      }
      await messages.close();
    },
    ROUNDS,
  );
  return [
    { name: `herald group (pull ${PULL}, ack each)`, perSecond: herald },
    { name: `raw jetstream (pull consumer, batches of ${PULL}, ack each)`, perSecond: rawRate },
  ];
}

/** Runs the three comparisons and prints their tables. */
export async function runNatsBench(): Promise<void> {
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const stream = `HERALD_BENCH_${suffix}`;
  const rawStream = `RAW_BENCH_${suffix}`;
  const raw = `rawbench_${suffix}`;
  const nc = await connect({ servers: SERVERS });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: rawStream, subjects: [`${raw}.>`] });
  const js = jetstream(nc);
  const log = await natsLog({ servers: SERVERS, stream, subjectPrefix: `heraldbench_${suffix}` });
  try {
    const rows = await appends(log, js, raw);
    printTable(`NATS: appends, up to ${IN_FLIGHT} in flight`, rows, rows[0]!.name);
    const one = await awaited(log, js, raw);
    printTable('NATS: awaited single appends', one, one[0]!.name);
    const consumed = await consumption(log, nc, js, rawStream, raw);
    printTable('NATS: group consumption', consumed, consumed[0]!.name);
  } finally {
    await log.close();
    for (const name of [stream, `${stream}_DLQ`, rawStream])
      await jsm.streams.delete(name).catch(() => false);
    await nc.close();
  }
}
