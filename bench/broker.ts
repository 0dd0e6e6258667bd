/**
 * Publish-to-handler throughput: Herald's broker against the emitters a user would pick instead.
 * Each subject publishes N events (with a small object payload) to a counting handler; async
 * subjects are awaited in chunks of 1,000 so queues stay bounded, and the clock stops when the
 * handler has seen all N.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import Emittery from 'emittery';
import EventEmitter2Import from 'eventemitter2';
import mittImport from 'mitt';
import { createBroker } from '../src/index.js';
import { measure, medianTurns, printTable, type BenchRow } from './harness.js';

// mitt's types describe its CommonJS build; the ESM build's default export is the factory.
const mitt = mittImport as unknown as typeof mittImport.default;
// eventemitter2 is CommonJS: at run time the default import is the class itself.
const EventEmitter2 = EventEmitter2Import as unknown as typeof EventEmitter2Import.EventEmitter2;

const N = 1_000_000;
const CHUNK = 1_000;

async function untilCount(get: () => number, n: number): Promise<void> {
  while (get() < n) await new Promise((r) => setImmediate(r));
}

/** One run of `n` async publishes (awaited in chunks) until the handler has seen them all. */
async function publishAll(
  broker: ReturnType<typeof createBroker>,
  types: readonly string[],
  n: number,
  seen: () => number,
): Promise<void> {
  const start = seen();
  for (let i = 0; i < n; i += CHUNK) {
    let last: Promise<unknown> | undefined;
    for (let j = 0; j < CHUNK; j++) last = broker.publish(types[(i + j) % types.length]!, { i: j });
    await last;
  }
  await untilCount(() => seen() - start, n);
}

/**
 * The issue 16 goals, measured the way the outside check did: Herald's async publish against
 * EventEmitter2 with wildcards on, the two taking turns in each of 5 rounds, medians compared.
 * One exact subscription (goal >= 1.0x), and 1,000 `orders.<i>.*` subscriptions with concrete
 * types (goal >= 2.0x).
 */
async function versusEventEmitter2(types1000: readonly string[]): Promise<void> {
  const ROUNDS = 5;
  const scenarios: { title: string; types: readonly string[]; patterns: readonly string[]; goal: string }[] =
    [
      {
        title: 'one exact subscription',
        types: ['order.created'],
        patterns: ['order.created'],
        goal: '>= 1.0x',
      },
      {
        title: '1,000 orders.<i>.* subscriptions, concrete types',
        types: types1000,
        patterns: Array.from({ length: 1_000 }, (_, i) => `orders.${i}.*`),
        goal: '>= 2.0x',
      },
    ];
  const rows: BenchRow[] = [];
  for (const s of scenarios) {
    const broker = createBroker();
    let heraldSeen = 0;
    for (const p of s.patterns) broker.subscribe(p, () => void heraldSeen++);
    const e2 = new EventEmitter2({ wildcard: true, delimiter: '.' });
    let e2Seen = 0;
    for (const p of s.patterns) e2.on(p, () => void e2Seen++);
    const [herald, ee2] = await medianTurns(
      N,
      [
        () => publishAll(broker, s.types, N, () => heraldSeen),
        () => {
          for (let i = 0; i < N; i++) e2.emit(s.types[i % s.types.length]!, { i });
        },
      ],
      ROUNDS,
    );
    void e2Seen;
    await broker.close();
    rows.push({
      name: `herald: ${s.title}`,
      perSecond: herald!,
      extra: {
        'EventEmitter2 {wildcard:true}': fmtRate(ee2!),
        'herald / EE2': `${(herald! / ee2!).toFixed(2)}x`,
        goal: s.goal,
      },
    });
  }
  printTable(
    `Herald vs EventEmitter2 with wildcards, alternating runs, median of ${ROUNDS}, ${N.toLocaleString('en')} events`,
    rows,
    rows[0]!.name,
  );
}

const fmtRate = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`;

async function heraldRun(
  correlation: boolean,
  types: string[],
  subscribe: (b: ReturnType<typeof createBroker>, inc: () => void) => void,
): Promise<number> {
  const broker = createBroker({ correlation });
  let count = 0;
  subscribe(broker, () => void count++);
  const rate = await measure(
    N,
    async () => {
      count = 0;
      for (let i = 0; i < N; i += CHUNK) {
        let last: Promise<unknown> | undefined;
        for (let j = 0; j < CHUNK; j++) last = broker.publish(types[(i + j) % types.length]!, { i: j });
        await last;
      }
      await untilCount(() => count, N);
    },
    3,
  );
  await broker.close();
  return rate;
}

export async function runBrokerBench(): Promise<void> {
  // 1. One exact subscription.
  const one = ['order.created'];
  const rows: BenchRow[] = [];
  rows.push({
    name: 'herald (async publish)',
    perSecond: await heraldRun(true, one, (b, inc) => b.subscribe('order.created', inc)),
  });
  rows.push({
    name: 'herald (async publish, correlation off)',
    perSecond: await heraldRun(false, one, (b, inc) => b.subscribe('order.created', inc)),
  });
  {
    const ee = new EventEmitter();
    let count = 0;
    ee.on('order.created', () => void count++);
    rows.push({
      name: 'node:events',
      perSecond: await measure(
        N,
        () => {
          for (let i = 0; i < N; i++) ee.emit('order.created', { i });
        },
        3,
      ),
    });
    void count;
  }
  {
    const m = mitt<{ 'order.created': { i: number } }>();
    m.on('order.created', () => undefined);
    rows.push({
      name: 'mitt',
      perSecond: await measure(
        N,
        () => {
          for (let i = 0; i < N; i++) m.emit('order.created', { i });
        },
        3,
      ),
    });
  }
  {
    const em = new Emittery();
    let count = 0;
    em.on('order.created', () => void count++);
    rows.push({
      name: 'emittery (async emit)',
      perSecond: await measure(
        N,
        async () => {
          count = 0;
          for (let i = 0; i < N; i += CHUNK) {
            let last: Promise<unknown> | undefined;
            for (let j = 0; j < CHUNK; j++) last = em.emit('order.created', { i: j });
            await last;
          }
          await untilCount(() => count, N);
        },
        3,
      ),
    });
  }
  {
    const e2 = new EventEmitter2();
    e2.on('order.created', () => undefined);
    rows.push({
      name: 'eventemitter2',
      perSecond: await measure(
        N,
        () => {
          for (let i = 0; i < N; i++) e2.emit('order.created', { i });
        },
        3,
      ),
    });
  }
  {
    // What a user of a plain emitter writes to get what Herald's publish gives: a CloudEvent with
    // a unique id and a timestamp (a random v4 id; Herald's are time-ordered v7).
    const e2 = new EventEmitter2();
    e2.on('order.created', () => undefined);
    rows.push({
      name: 'eventemitter2 + CloudEvent envelope (randomUUID, toISOString)',
      perSecond: await measure(
        N,
        () => {
          for (let i = 0; i < N; i++) {
            e2.emit('order.created', {
              specversion: '1.0',
              id: randomUUID(),
              source: 'bench',
              type: 'order.created',
              time: new Date().toISOString(),
              datacontenttype: 'application/json',
              data: { i },
            });
          }
        },
        3,
      ),
    });
  }
  printTable(
    `One exact subscription: publish to handler, ${N.toLocaleString('en')} events`,
    rows,
    'herald (async publish)',
  );

  // 2. 1,000 wildcard subscriptions orders.<i>.*, random concrete types.
  const SUBS = 1_000;
  const types: string[] = [];
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const verbs = ['created', 'paid', 'shipped', 'cancelled'];
  for (let i = 0; i < 100_000; i++)
    types.push(`orders.${Math.floor(rnd() * SUBS)}.${verbs[Math.floor(rnd() * verbs.length)]!}`);
  const wild: BenchRow[] = [];
  const subAll = (b: ReturnType<typeof createBroker>, inc: () => void): void => {
    for (let i = 0; i < SUBS; i++) b.subscribe(`orders.${i}.*`, inc);
  };
  wild.push({ name: 'herald (async publish)', perSecond: await heraldRun(true, types, subAll) });
  wild.push({
    name: 'herald (async publish, correlation off)',
    perSecond: await heraldRun(false, types, subAll),
  });
  {
    const e2 = new EventEmitter2({ wildcard: true, delimiter: '.' });
    let count = 0;
    for (let i = 0; i < SUBS; i++) e2.on(`orders.${i}.*`, () => void count++);
    wild.push({
      name: 'eventemitter2 (wildcard)',
      perSecond: await measure(
        N,
        () => {
          for (let i = 0; i < N; i++) e2.emit(types[i % types.length]!, { i });
        },
        3,
      ),
    });
  }
  printTable(
    `${SUBS.toLocaleString('en')} wildcard subscriptions (orders.<i>.*), ${types.length.toLocaleString('en')} random types of ${new Set(types).size.toLocaleString('en')} distinct`,
    wild,
    'herald (async publish)',
  );

  await versusEventEmitter2(types);
}
