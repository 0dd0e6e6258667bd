/**
 * The NATS JetStream log against raw `@nats-io/jetstream` on the same server, in one run:
 * (a) appends with up to 1,000 in flight: herald `append` of single events from 1,000 concurrent
 *     callers, and herald `append` of 1,000-event batches, vs raw `js.publish` with up to 1,000
 *     publishes awaiting their acks at once;
 * (b) awaited single appends, one at a time, vs raw awaited `js.publish`;
 * (c) group consumption (pull 100, read each event's data, ack each) vs a raw durable pull
 *     consumer (`consumer.consume()`, `m.ack()` for each message), which once decodes each
 *     payload and reads its data (like for like) and once leaves the payloads alone.
 * The subjects of each comparison take turns (so a change in the machine's load falls on all of
 * them alike); each figure is the best of its rounds (3, the awaited appends 5), on one stream
 * per side and a fresh consumer per round.
 */
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsLog } from '../src/backends/nats/index.js';
import type { EventLog } from '../src/log/types.js';
import { drainGroup, handle, measureTurns, printTable, type BenchRow } from './harness.js';

const SERVERS = process.env['HERALD_BENCH_NATS_URL'] ?? '127.0.0.1:4222';
const ROUNDS = 3;
const AWAITED_ROUNDS = 5;
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
  const single = () =>
    inFlight(ASYNC_EVENTS, IN_FLIGHT, (i) => log.append([{ type: 'order.created', data: payload(i) }]));
  const batched = async () => {
    for (let b = 0; b < ASYNC_EVENTS; b += IN_FLIGHT)
      await log.append(
        Array.from({ length: IN_FLIGHT }, (_, i) => ({ type: 'order.created', data: payload(b + i) })),
      );
  };
  const rawPublish = () =>
    inFlight(ASYNC_EVENTS, IN_FLIGHT, (i) => js.publish(`${raw}.order.created`, rawEvent(i)));
  // The same with what the log asks of JetStream on every message: dedup by Nats-Msg-Id and
  // an expected last sequence (pipelined, each expecting the one before: one writer here).
  const checked = async () => {
    const info = await js.publish(`${raw}.order.created`, rawEvent(0));
    let last = info.seq;
    await inFlight(ASYNC_EVENTS - 1, IN_FLIGHT, (i) =>
      js.publish(`${raw}.order.created`, rawEvent(i), {
        msgID: crypto.randomUUID(),
        expect: { lastSequence: last++ },
      }),
    );
  };
  const rates = await measureTurns(ASYNC_EVENTS, [single, batched, rawPublish, checked], ROUNDS);
  return [
    { name: `herald natsLog (${IN_FLIGHT} concurrent single appends)`, perSecond: rates[0]! },
    { name: `herald natsLog (append of ${IN_FLIGHT})`, perSecond: rates[1]! },
    { name: `raw jetstream (publish, up to ${IN_FLIGHT} in flight)`, perSecond: rates[2]! },
    {
      name: `raw jetstream (publish with Nats-Msg-Id and expected last sequence, up to ${IN_FLIGHT} in flight)`,
      perSecond: rates[3]!,
    },
  ];
}

async function awaited(log: EventLog, js: JetStreamClient, raw: string): Promise<BenchRow[]> {
  const herald = async () => {
    for (let i = 0; i < AWAITED; i++) await log.append([{ type: 'order.created', data: payload(i) }]);
  };
  const rawPublish = async () => {
    for (let i = 0; i < AWAITED; i++) await js.publish(`${raw}.order.created`, rawEvent(i));
  };
  const rates = await measureTurns(AWAITED, [herald, rawPublish], AWAITED_ROUNDS);
  return [
    { name: 'herald natsLog (awaited single appends)', perSecond: rates[0]! },
    { name: 'raw jetstream (awaited publish)', perSecond: rates[1]! },
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
  const herald = () =>
    drainGroup(log, `g${run++}`, { types: ['bench.consume'], startAt: start + 1 }, CONSUMED, PULL);
  const jsm = await jetstreamManager(nc);
  // A raw durable pull consumer, `consume()` (which keeps up to PULL messages asked for ahead),
  // each message acked without waiting; "decoded" also JSON-decodes each payload and reads its
  // data, as Herald's consumer reads each delivered event's.
  const rawConsume = (decode: boolean) => async (): Promise<void> => {
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
      if (decode) handle(m.json<{ data?: unknown }>().data);
      m.ack();
      if (++done >= CONSUMED) break;
    }
    await messages.close();
  };
  const rates = await measureTurns(CONSUMED, [herald, rawConsume(true), rawConsume(false)], ROUNDS);
  return [
    { name: `herald group (pull ${PULL}, ack each; events decoded)`, perSecond: rates[0]! },
    { name: `raw jetstream (pull consumer, batches of ${PULL}, ack each; decoded)`, perSecond: rates[1]! },
    {
      name: `raw jetstream (pull consumer, batches of ${PULL}, ack each; not decoded)`,
      perSecond: rates[2]!,
    },
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
