/**
 * The Redis log against raw `ioredis` on the same server (127.0.0.1:6379 unless
 * `HERALD_BENCH_REDIS_URL` says otherwise), under a key prefix of its own, deleted at the end:
 * (a) appends of 1,000 events vs raw `XADD <key> * type order.created event <json>` in
 *     1,000-command pipelines (the JSON a CloudEvent with a fresh UUID, built per entry), taking
 *     turns, best of 5 rounds;
 * (b) concurrent producers each awaiting single appends (they share script calls) vs raw awaited
 *     single XADDs (same fields), one at a time, 10,000 each, taking turns, best of 5 rounds;
 * (c) group consumption (pull 100, read each event's data, ack each: the acks of a batch share
 *     one XACK) vs raw `XREADGROUP GROUP <g> c1 COUNT 100 STREAMS <key> >` + one XACK of the ids
 *     read, per batch, on a stream of 2-field entries (type, event) and on the log's own events
 *     stream (the entries the group reads: fields id, type, recorded, event); each raw consumer
 *     twice: JSON.parse-ing each entry's event and reading its data, as Herald's consumer does
 *     (the like-for-like comparison), and leaving entries as field arrays (the transport alone).
 *     The five take turns, best of 8 rounds each.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisLog } from '../src/backends/redis/index.js';
import type { EventLog } from '../src/log/types.js';
import { drainGroup, handle, measureTurns, printTable, type BenchRow } from './harness.js';

const URL = process.env['HERALD_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROUNDS = 5;
const BATCH = 1_000;
const BATCHES = 20;
const PRODUCERS = 64;
const SINGLE_APPENDS = 10_000;
const CONSUMED = 10_000;
const PULL = 100;
const CONSUME_ROUNDS = 8;

const payload = (i: number) => ({ sku: `sku-${i % 1000}`, qty: (i % 7) + 1, price: 19.99 });
const rawEvent = (i: number): string =>
  JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    source: 'bench',
    type: 'order.created',
    time: new Date().toISOString(),
    data: payload(i),
  });

async function batchAppends(log: EventLog, raw: Redis, key: string): Promise<BenchRow[]> {
  const batch = () => Array.from({ length: BATCH }, (_, i) => ({ type: 'order.created', data: payload(i) }));
  const herald = async () => {
    for (let i = 0; i < BATCHES; i++) await log.append(batch());
  };
  const rawPipelines = async () => {
    for (let b = 0; b < BATCHES; b++) {
      const pipeline = raw.pipeline();
      for (let i = 0; i < BATCH; i++) pipeline.xadd(key, '*', 'type', 'order.created', 'event', rawEvent(i));
      await pipeline.exec();
    }
  };
  // The two take turns, so a change in the machine's load falls on both alike.
  const [heraldRate, rawRate] = await measureTurns(BATCH * BATCHES, [herald, rawPipelines], ROUNDS);
  return [
    { name: 'herald redisLog (append of 1,000)', perSecond: heraldRate! },
    { name: 'raw ioredis (1,000 XADD per pipeline)', perSecond: rawRate! },
  ];
}

async function singleAppends(log: EventLog, raw: Redis, key: string): Promise<BenchRow[]> {
  const herald = async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: PRODUCERS }, async () => {
        while (next < SINGLE_APPENDS) await log.append([{ type: 'order.created', data: payload(next++) }]);
      }),
    );
  };
  const rawSingles = async () => {
    for (let i = 0; i < SINGLE_APPENDS; i++)
      await raw.xadd(key, '*', 'type', 'order.created', 'event', rawEvent(i));
  };
  // The two take turns, so a change in the machine's load falls on both alike.
  const [heraldRate, rawRate] = await measureTurns(SINGLE_APPENDS, [herald, rawSingles], ROUNDS);
  return [
    { name: `herald redisLog (${PRODUCERS} producers, awaited single appends)`, perSecond: heraldRate! },
    { name: 'raw ioredis (awaited single XADD)', perSecond: rawRate! },
  ];
}

async function consumption(log: EventLog, raw: Redis, key: string, events: string): Promise<BenchRow[]> {
  const start = (await log.bounds()).last;
  for (let i = 0; i < CONSUMED; i += BATCH) {
    await log.append(
      Array.from({ length: BATCH }, (_, j) => ({ type: 'bench.consume', data: payload(i + j) })),
    );
  }
  for (let b = 0; b < CONSUMED / BATCH; b++) {
    const pipeline = raw.pipeline();
    for (let i = 0; i < BATCH; i++) pipeline.xadd(key, '*', 'type', 'bench.consume', 'event', rawEvent(i));
    await pipeline.exec();
  }
  let run = 0;
  const herald = (): Promise<void> =>
    drainGroup(log, `g${run++}`, { types: ['bench.consume'], startAt: start + 1 }, CONSUMED, PULL);

  // Raw consumers read a batch with XREADGROUP and ack its ids with one XACK; "decoded" ones also
  // JSON.parse each entry's `event` field and read its data, as Herald's deliveries are read.
  const rawGroup = (stream: string, from: string, decode: boolean) => async (): Promise<void> => {
    const group = `raw${run++}`;
    await raw.xgroup('CREATE', stream, group, from);
    for (let done = 0; done < CONSUMED;) {
      const reply = (await raw.xreadgroup('GROUP', group, 'c1', 'COUNT', PULL, 'STREAMS', stream, '>')) as
        [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (decode) for (const [, fields] of entries) handle(parsed(fields).data);
      const ids = entries.map(([id]) => id);
      if (ids.length > 0) await raw.xack(stream, group, ...ids);
      done += ids.length;
    }
  };
  // The subjects take turns, so a change in the machine's load falls on all of them alike.
  const rates = await measureTurns(
    CONSUMED,
    [
      herald,
      rawGroup(key, '0', true),
      rawGroup(events, `${start}-0`, true),
      rawGroup(key, '0', false),
      rawGroup(events, `${start}-0`, false),
    ],
    CONSUME_ROUNDS,
  );
  const raws = [
    'XREADGROUP COUNT 100 + XACK, 2-field entries, events decoded',
    "XREADGROUP COUNT 100 + XACK, the log's entries, events decoded",
    'XREADGROUP COUNT 100 + XACK, 2-field entries, not decoded',
    "XREADGROUP COUNT 100 + XACK, the log's entries, not decoded",
  ];
  return [
    { name: `herald group (pull ${PULL}, ack each; events decoded)`, perSecond: rates[0]! },
    ...raws.map((what, i) => ({ name: `raw ioredis (${what})`, perSecond: rates[i + 1]! })),
  ];
}

/** The parsed `event` field of an entry. */
function parsed(fields: readonly string[]): { data?: unknown } {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'event') return JSON.parse(fields[i + 1]!) as { data?: unknown };
  }
  return {};
}

async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

/** Runs the three comparisons and prints their tables. */
export async function runRedisBench(): Promise<void> {
  const prefix = `herald-bench-${process.pid}`;
  const raw = new Redis(URL);
  const log = await redisLog({ url: URL, prefix });
  try {
    printTable(
      'Redis: batched appends',
      await batchAppends(log, raw, `${prefix}:raw-batch`),
      'herald redisLog (append of 1,000)',
    );
    const singles = await singleAppends(log, raw, `${prefix}:raw-single`);
    printTable('Redis: concurrent single appends', singles, singles[0]!.name);
    const consumed = await consumption(log, raw, `${prefix}:raw-group`, `${prefix}:events`);
    printTable('Redis: group consumption', consumed, consumed[0]!.name);
  } finally {
    await log.close();
    await deletePrefix(raw, prefix);
    raw.disconnect();
  }
}
