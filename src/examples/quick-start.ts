/**
 * The quick start: a typed broker, a wildcard subscription, a queue group with retries and dead
 * letters, request/reply, and a clean close. Run with `npm run example`.
 */
import { createBroker, UnrecoverableError } from '../index.js';
import { sqliteLog } from '../backends/sqlite/index.js';

type Shop = {
  'order.created': { id: string; total: number };
  'order.paid': { id: string };
  'stock.check': { sku: string };
};

const broker = createBroker<Shop, { 'stock.check': number }>({ source: 'quick-start' });

broker.subscribe('order.*', (e) => console.log(`[audit]   ${e.type} ${e.data.id} (id ${e.id})`));

let flaky = 0;
broker.subscribe(
  'order.created',
  async (e) => {
    if (e.data.total < 0) throw new UnrecoverableError(`negative total on ${e.data.id}`);
    if (++flaky % 2 === 1) throw new Error('payment gateway hiccup');
    await broker.publish('order.paid', { id: e.data.id });
  },
  { group: 'billing', concurrency: 4, retry: { maxAttempts: 3, baseDelayMs: 10 } },
);
broker.subscribe('order.paid', (e) =>
  console.log(
    `[billing] paid ${e.data.id}: correlation ${e.correlationid ?? '-'}, caused by ${e.causationid ?? '-'}`,
  ),
);
broker.reply('stock.check', (e) => (e.data.sku === 'apple' ? 12 : 0));

await broker.publish('order.created', { id: 'o-1', total: 42 }, { wait: 'handled' });
await broker.publish('order.created', { id: 'o-2', total: -5 }).catch(() => undefined);
console.log(`[stock]   apples in stock: ${await broker.request('stock.check', { sku: 'apple' })}`);

const result = await broker.close();
for (const d of await broker.deadLetters.list())
  console.log(`[dlq]     ${d.event.type} in ${d.subscription}: ${d.error.message}`);
for (const s of broker.stats().subscriptions) {
  console.log(
    `[stats]   ${s.name}: delivered ${s.delivered}, succeeded ${s.succeeded}, retried ${s.retried}, dead-lettered ${s.deadLettered}`,
  );
}
console.log(`[close]   drained: ${result.drained}`);

// The same broker on the embedded SQLite log: events are stored (fsync) before delivery, and a
// durable consumer group resumes where it left off on the next run.
const log = await sqliteLog({ path: './herald-data/quick-start.db' });
const durable = createBroker<Shop>({ log, source: 'quick-start' });
durable.subscribe(
  'order.*',
  (e) => console.log(`[durable] ${e.type} ${e.data.id} at position ${e.position ?? '?'}`),
  {
    group: 'quick-start-audit',
    durable: true,
    startAt: 'start',
  },
);
const stored = await durable.publish(
  'order.created',
  { id: `o-${Date.now()}`, total: 7 },
  { stream: 'orders' },
);
console.log(
  `[log]     stored at position ${stored.position ?? '?'}, stream version ${stored.version ?? '?'}`,
);
const group = await log.group('quick-start-audit');
while ((await group.info()).ackedPosition < (stored.position ?? 0))
  await new Promise((r) => setTimeout(r, 10));
console.log(`[log]     group quick-start-audit: ${JSON.stringify(await group.info())}`);
await durable.close();
await log.close();
