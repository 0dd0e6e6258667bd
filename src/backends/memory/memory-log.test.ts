import { describe, expect, it } from 'vitest';
import { describeEventLogConformance } from '../../testing/index.js';
import { memoryLog } from './memory-log.js';
import type { ConsumerGroup, EventLog, StoredEvent } from '../../log/types.js';

describeEventLogConformance({
  name: 'memory',
  createLog: ({ retention }) => memoryLog({ retention }),
});

/** A log on a clock the test moves by hand. */
function clocked(options: Parameters<typeof memoryLog>[0] = {}): { log: EventLog; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { log: memoryLog({ ...options, now: () => clock.now }), clock };
}

async function readAll(log: EventLog, options?: Parameters<EventLog['read']>[0]): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of log.read(options)) out.push(e);
  return out;
}

async function pullOne(group: ConsumerGroup) {
  const [delivery] = await group.pull();
  if (delivery === undefined) throw new Error('nothing to pull');
  return delivery;
}

describe('memoryLog', () => {
  it('declares its capabilities frozen', () => {
    const caps = memoryLog().capabilities;
    expect(Object.isFrozen(caps)).toBe(true);
    expect(caps).toEqual({
      name: 'memory',
      survivesReopen: false,
      survivesServerRestart: false,
      fsync: false,
      consumerGroups: true,
      multiProcess: false,
    });
  });

  it('records with the injected clock, and recordedat never goes backwards', async () => {
    const { log, clock } = clocked();
    const [a] = await log.append([{ type: 'a' }]);
    clock.now -= 5_000;
    const [b] = await log.append([{ type: 'b' }]);
    expect((await log.get(a!.id))!.recordedat).toBe(new Date(1_000_000).toISOString());
    expect((await log.get(b!.id))!.recordedat).toBe(new Date(1_000_000).toISOString());
  });

  it('replaces position, recordedat, stream and version given in an input, and freezes what it stores', async () => {
    const log = memoryLog();
    const [r] = await log.append(
      [
        {
          specversion: '1.0',
          id: 'x',
          source: 's',
          type: 't',
          position: 99,
          version: 7,
          stream: 'other',
          recordedat: 'no',
        },
      ],
      { stream: 'mine' },
    );
    const stored = (await log.get('x'))!;
    expect(stored).toMatchObject({ position: r!.position, stream: 'mine', version: 1 });
    expect(stored.position).toBe(1);
    expect(stored.recordedat).not.toBe('no');
    expect(Object.isFrozen(stored)).toBe(true);
  });

  it('applies maxAgeMs by its clock, after appends and on applyRetention', async () => {
    const { log, clock } = clocked({ retention: { maxAgeMs: 1_000 } });
    const [a] = await log.append([{ type: 'a' }]);
    clock.now += 500;
    const [b] = await log.append([{ type: 'b' }]);
    clock.now += 700;
    expect(await log.applyRetention()).toBe(1);
    expect(await log.get(a!.id)).toBeUndefined();
    expect(await log.bounds()).toEqual({ first: b!.position, last: b!.position });
    clock.now += 400;
    const [c] = await log.append([{ type: 'c' }]);
    expect(await log.bounds()).toEqual({ first: c!.position, last: c!.position });
  });

  it('forgets ids with the events retention deletes: re-appending one stores it again', async () => {
    const log = memoryLog({ retention: { maxEvents: 2 } });
    const first = { id: 'first', type: 'a' };
    await log.append([first, { type: 'a' }, { type: 'a' }], { stream: 's' });
    expect(await log.get('first')).toBeUndefined();
    expect(await log.streamVersion('s')).toBe(3);
    const [again] = await log.append([first]);
    expect(again).toMatchObject({ duplicate: false, position: 4 });
  });

  it('starts a stream again at version 1 once all its events are deleted (the contract: 0 when it has no event)', async () => {
    const log = memoryLog();
    await log.append([{ type: 'a' }, { type: 'a' }], { stream: 's' });
    await log.deleteStream('s');
    const [r] = await log.append([{ type: 'a' }], { stream: 's', expectedVersion: 'no_stream' });
    expect(r).toMatchObject({ version: 1, position: 3 });
    await log.truncateStream('s', 10);
    expect(await log.streamVersion('s')).toBe(0);
  });

  it('reads lazily: events deleted during iteration are skipped, events appended during it are not read', async () => {
    const log = memoryLog();
    await log.append(
      Array.from({ length: 10 }, (_, n) => ({ type: 'a', data: n })),
      { stream: 's' },
    );
    const seen: unknown[] = [];
    for await (const e of log.read()) {
      seen.push(e.data);
      if (e.data === 1) {
        await log.truncateStream('s', 6);
        await log.append([{ type: 'a', data: 'late' }]);
      }
    }
    expect(seen).toEqual([0, 1, 5, 6, 7, 8, 9]);
    const back: unknown[] = [];
    for await (const e of log.read({ direction: 'backward' })) {
      back.push(e.data);
      if (e.data === 9) await log.truncateStream('s', 9);
    }
    expect(back).toEqual(['late', 9, 8]);
  });

  it("reads nothing backward from 'start'; matches many patterns through the subject index", async () => {
    const log = memoryLog();
    await log.append([{ type: 'a.b' }, { type: 'c.d' }, { type: 'e.f' }]);
    expect(await readAll(log, { from: 'start', direction: 'backward' })).toEqual([]);
    const types = ['x.*', 'y.>', 'z', 'a.*', 'q.*', 'r.*', 's.*', 't.*', 'e.>'];
    expect((await readAll(log, { types })).map((e) => e.type)).toEqual(['a.b', 'e.f']);
  });

  it('refuses bad options with INVALID_OPTION', async () => {
    const log = memoryLog();
    const bad: (() => unknown)[] = [
      () => log.append([{ type: 'a' }], { expectedVersion: 'no_stream' }),
      () => log.append([{ type: 'a' }], { stream: '' }),
      () => readAll(log, { fromVersion: 2 }),
      () => log.subscribe({ batchSize: 0 }),
      () => log.group(''),
      () => log.group('g', { ackWaitMs: 0 }),
      () => log.group('g', { maxDeliveries: 0 }),
      () => log.group('g', { backoff: [-1] }),
      async () => (await log.group('g')).pull({ max: 0 }),
      () => memoryLog({ retention: { maxEvents: 0 } }),
    ];
    for (const call of bad) {
      await expect((async () => call())()).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    }
  });

  it('nack without a delay follows the default backoff: 1 s, 5 s, 30 s, then 30 s again', async () => {
    const { log, clock } = clocked();
    const group = await log.group('g', { ackWaitMs: 600_000, maxDeliveries: 10 });
    await log.append([{ type: 'a' }]);
    for (const delay of [1_000, 5_000, 30_000, 30_000]) {
      await (await pullOne(group)).nack();
      clock.now += delay - 1;
      expect(await group.pull()).toEqual([]);
      expect(await group.status(1)).toBe('processing');
      clock.now += 1;
      expect(await group.status(1)).toBe('pending');
    }
    expect((await pullOne(group)).deliveryCount).toBe(5);
  });

  it('redelivers when the ack wait passes on its clock', async () => {
    const { log, clock } = clocked();
    const group = await log.group('g', { ackWaitMs: 100 });
    await log.append([{ type: 'a' }]);
    await pullOne(group);
    clock.now += 99;
    expect(await group.pull()).toEqual([]);
    clock.now += 1;
    expect((await pullOne(group)).deliveryCount).toBe(2);
  });

  it('ignores a nack of a stale delivery, but an ack of one still acks', async () => {
    const { log, clock } = clocked();
    const group = await log.group('g', { ackWaitMs: 100 });
    await log.append([{ type: 'a' }]);
    const stale = await pullOne(group);
    clock.now += 100;
    const current = await pullOne(group);
    await stale.nack({ delayMs: 0 });
    expect(await group.status(1)).toBe('processing');
    await stale.ack();
    expect(await group.status(1)).toBe('completed');
    await current.nack();
    expect(await group.info()).toMatchObject({ pending: 0, deadLetters: 0 });
  });

  it('a waiting pull wakes when a redelivery falls due, without an append', async () => {
    const log = memoryLog();
    const group = await log.group('g', { ackWaitMs: 30 });
    await log.append([{ type: 'a' }]);
    await pullOne(group);
    const started = Date.now();
    const [again] = await group.pull({ waitMs: 10_000 });
    expect(again?.deliveryCount).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('dead-letters an expired delivery with the reason, and a redriven one starts counting again', async () => {
    const { log, clock } = clocked();
    const group = await log.group('g', { ackWaitMs: 100, maxDeliveries: 1 });
    await log.append([{ type: 'a' }]);
    await pullOne(group);
    clock.now += 100;
    expect(await group.pull()).toEqual([]);
    const [dead] = await group.deadLetters();
    expect(dead).toMatchObject({
      deliveries: 1,
      error: 'not acked within 100 ms',
      at: new Date(clock.now).toISOString(),
    });
    await group.redrive();
    expect((await pullOne(group)).deliveryCount).toBe(1);
  });

  it('a group says nothing about events before its start; startAt a Date starts at its first recorded event', async () => {
    const { log, clock } = clocked();
    const [a] = await log.append([{ type: 'a' }]);
    clock.now += 1_000;
    const [b] = await log.append([{ type: 'b' }]);
    const late = await log.group('late');
    expect(await late.status(a!.position)).toBeUndefined();
    const dated = await log.group('dated', { startAt: new Date(clock.now) });
    expect((await pullOne(dated)).event.id).toBe(b!.id);
    expect(await dated.status(a!.position)).toBeUndefined();
  });

  it('a later group() call changes options but keeps the state; groups() lists names sorted', async () => {
    const log = memoryLog();
    const g = await log.group('b', { types: ['x.>'] });
    await log.group('a');
    await log.append([{ type: 'x.1' }, { type: 'y.1' }]);
    await pullOne(g);
    const same = await log.group('b', { types: ['y.>'], ackWaitMs: 5 });
    expect(same).toBe(g);
    expect(g.options).toMatchObject({ types: ['y.>'], ackWaitMs: 5, maxDeliveries: 5 });
    expect(await log.groups()).toEqual(['a', 'b']);
  });

  it('close is idempotent; waiting pulls return [] and later calls reject LOG_CLOSED', async () => {
    const log = memoryLog();
    const group = await log.group('g');
    const waiting = group.pull({ waitMs: 10_000 });
    await log.close();
    await log.close();
    expect(await waiting).toEqual([]);
    await expect(group.pull()).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    expect(() => log.read()).toThrow(expect.objectContaining({ code: 'LOG_CLOSED' }));
  });

  it('a subscription reads no further ahead than batchSize', async () => {
    const log = memoryLog();
    await log.append(
      Array.from({ length: 5 }, (_, n) => ({ type: 'a', data: n })),
      { stream: 's' },
    );
    const sub = log.subscribe({ from: 'start', batchSize: 2 });
    expect((await sub.next()).value?.data).toBe(0);
    // Only 0 and 1 were read ahead: events deleted now are never seen.
    await log.deleteStream('s');
    await log.append([{ type: 'b', data: 'new' }]);
    expect((await sub.next()).value?.data).toBe(1);
    expect((await sub.next()).value?.data).toBe('new');
    await sub.close();
  });
});
