import { describe, expect, it } from 'vitest';
import { createBroker, HeraldError, type HeraldEvent } from '../index.js';
import { memoryLog } from '../backends/memory/index.js';
import type { EventLog, StoredEvent } from '../log/types.js';
import { waitFor } from '../testing/index.js';
import { memoryTransportHub } from './memory-transport.js';

async function all(log: EventLog): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of log.read({ from: 'start' })) out.push(e);
  return out;
}

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof HeraldError ? error.code : 'not a HeraldError';
  }
  return undefined;
}

describe('delayed publishes without a log', () => {
  it('delivers when due, never before, with deliverat set', async () => {
    const broker = createBroker();
    const seen: { event: HeraldEvent; at: number }[] = [];
    broker.subscribe('reminder.*', (event) => void seen.push({ event, at: Date.now() }));
    const published = await broker.publish('reminder.sent', { n: 1 }, { delayMs: 150 });
    const due = Date.parse(published.deliverat as string);
    expect(seen).toEqual([]);
    expect((await broker.scheduled()).map((s) => s.event.id)).toEqual([published.id]);
    await waitFor(() => seen.length === 1, { message: 'the delayed event was not delivered' });
    expect(seen[0]!.at).toBeGreaterThanOrEqual(due);
    expect(seen[0]!.event).toMatchObject({
      id: published.id,
      data: { n: 1 },
      deliverat: published.deliverat,
    });
    expect(await broker.scheduled()).toEqual([]);
    await broker.close();
  });

  it('cancels by id; the deliverat attribute and deliverAt schedule too', async () => {
    const broker = createBroker();
    const seen: string[] = [];
    broker.subscribe('job.>', (event) => void seen.push(event.type));
    const gone = await broker.publish('job.gone', {}, { delayMs: 100 });
    const at = new Date(Date.now() + 150).toISOString();
    await broker.publish({ type: 'job.attribute', data: {}, deliverat: at });
    await broker.publish('job.option', {}, { deliverAt: new Date(Date.now() + 200) });
    expect(await broker.cancelScheduled(gone.id)).toBe(true);
    expect(await broker.cancelScheduled(gone.id)).toBe(false);
    await waitFor(() => seen.length === 2, { message: 'the two kept events were not delivered' });
    expect(seen.sort()).toEqual(['job.attribute', 'job.option']);
    await broker.close();
  });

  it('refuses what a delay cannot honour', async () => {
    const broker = createBroker({ log: memoryLog() });
    expect(await code(broker.publish('a.b', {}, { delayMs: 10, wait: 'handled' }))).toBe('INVALID_OPTION');
    expect(await code(broker.publish('a.b', {}, { delayMs: 10, stream: 's', expectedVersion: 0 }))).toBe(
      'INVALID_OPTION',
    );
    expect(await code(broker.publish('a.b', {}, { delayMs: 10, ephemeral: true }))).toBe('INVALID_OPTION');
    expect(await code(broker.publish('a.b', {}, { delayMs: 10, deliverAt: Date.now() }))).toBe(
      'INVALID_OPTION',
    );
    expect(await code(broker.publish('a.b', {}, { delayMs: -5 }))).toBe('INVALID_OPTION');
    expect(await code(broker.publish({ type: 'a.b', data: {}, deliverat: 'soon' }))).toBe('INVALID_OPTION');
    expect(await code(broker.publish('a..b', {}, { delayMs: 10 }))).toBe('INVALID_TYPE');
    expect(await broker.scheduled()).toEqual([]);
    await broker.close();
  });

  it('reaches the other brokers on a transport when due', async () => {
    const hub = memoryTransportHub();
    const a = createBroker({ transport: hub.transport() });
    const b = createBroker({ transport: hub.transport() });
    await Promise.all([a.ready(), b.ready()]);
    const seen: string[] = [];
    b.subscribe('tick.*', (event) => void seen.push(event.id));
    const published = await a.publish('tick.now', {}, { delayMs: 50 });
    await waitFor(() => seen.length === 1, { message: 'b did not get the due event' });
    expect(seen).toEqual([published.id]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('delayed publishes on a log', () => {
  it('are appended when due and reach in-process and durable subscriptions once', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const local: string[] = [];
    const durable: string[] = [];
    broker.subscribe('order.*', (event) => void local.push(event.id));
    broker.subscribe('order.*', (event) => void durable.push(event.id), {
      group: 'mailer',
      durable: true,
      startAt: 'start',
    });
    const [now] = await log.append([{ type: 'other.thing', data: {} }]);
    const published = await broker.publish(
      'order.reminder',
      { id: 'o-1' },
      { delayMs: 100, stream: 'order-o-1' },
    );
    expect(await log.get(published.id)).toBeUndefined();
    expect((await log.scheduled()).map((s) => s.event.id)).toEqual([published.id]);
    await waitFor(() => local.length === 1 && durable.length === 1, { message: 'not delivered to both' });
    const stored = await log.get(published.id);
    expect(stored).toMatchObject({ stream: 'order-o-1', version: 1, deliverat: published.deliverat });
    expect(stored!.position).toBeGreaterThan(now!.position);
    expect(Date.parse(stored!.recordedat)).toBeGreaterThanOrEqual(Date.parse(published.deliverat as string));
    // A later ordinary publish is delivered once too: the tail hands out only scheduled events.
    await broker.publish('order.created', { id: 'o-2' }, { wait: 'handled' });
    await waitFor(() => durable.length === 2, { message: 'the durable group missed o-2' });
    expect(local).toHaveLength(2);
    expect(new Set(local).size).toBe(2);
    expect((await all(log)).filter((e) => e.id === published.id)).toHaveLength(1);
    await broker.close();
    await log.close();
  });

  it('a cancelled delayed publish never reaches the log', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const gone = await broker.publish('job.gone', {}, { delayMs: 80 });
    const kept = await broker.publish('job.kept', {}, { delayMs: 160 });
    expect(await broker.cancelScheduled(gone.id)).toBe(true);
    await waitFor(async () => (await log.get(kept.id)) !== undefined, { message: 'kept never came' });
    expect(await log.get(gone.id)).toBeUndefined();
    await broker.close();
    await log.close();
  });
});
