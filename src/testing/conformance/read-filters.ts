import { expect } from 'vitest';
import type { ReadOptions, StoredEvent } from '../../log/types.js';
import { caught, elapsed, readAll } from './helpers.js';
import type { CaseContext, Suite } from './suite.js';

interface Seeded {
  /** Our six events in position order; `data` is 1..6. */
  readonly events: readonly StoredEvent[];
  readonly flow: string;
  /** Events 5 and 6 were recorded strictly later than 1..4. */
  readonly later: StoredEvent;
}

/**
 * Six events: order stream v1-2 (data 1, 2, correlated), invoice stream (3, correlated), one
 * without stream (4), then, recorded later, order stream v3-4 (5, 6).
 */
async function seed(t: CaseContext): Promise<Seeded> {
  const flow = `${t.prefix}-flow`;
  const order = t.name('order');
  await t.log.append(
    [
      { type: t.type('order.created'), correlationid: flow, data: 1 },
      { type: t.type('order.paid'), correlationid: flow, data: 2 },
    ],
    { stream: order },
  );
  await t.log.append([{ type: t.type('invoice.sent'), correlationid: flow, data: 3 }], {
    stream: t.name('invoice'),
  });
  await t.log.append([{ type: t.type('audit.login'), data: 4 }]);
  await elapsed(Date.now(), 5);
  await t.log.append(
    [
      { type: t.type('order.shipped'), data: 5 },
      { type: t.type('order.delivered'), data: 6 },
    ],
    { stream: order },
  );
  const events = await readAll(t.log, { types: [t.type('>')] });
  expect(events.map((e) => e.data)).toEqual([1, 2, 3, 4, 5, 6]);
  return { events, flow, later: events[4]! };
}

/** The `data` of what a read yields. */
async function data(t: CaseContext, options: ReadOptions): Promise<unknown[]> {
  return (await readAll(t.log, options)).map((e) => e.data);
}

/** Every filter of `read`, alone and combined. */
export function readFiltersCases(suite: Suite): void {
  suite.test('reads forward from the start in position order', [], async (t) => {
    const { events } = await seed(t);
    expect(await readAll(t.log, { from: 'start', direction: 'forward', types: [t.type('>')] })).toEqual(
      events,
    );
    const positions = events.map((e) => e.position);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(new Set(positions).size).toBe(6);
  });

  suite.test('filters types by NATS patterns, matching any of several', [], async (t) => {
    await seed(t);
    expect(await data(t, { types: [t.type('order.*')] })).toEqual([1, 2, 5, 6]);
    expect(await data(t, { types: [t.type('invoice.>'), t.type('audit.*')] })).toEqual([3, 4]);
    expect(await data(t, { types: [t.type('*.paid')] })).toEqual([2]);
    expect(await data(t, { types: [t.type('order')] })).toEqual([]);
  });

  suite.test('starts a forward read at a position, inclusive', [], async (t) => {
    const { events } = await seed(t);
    expect(await data(t, { from: events[2]!.position, types: [t.type('>')] })).toEqual([3, 4, 5, 6]);
  });

  suite.test('reads backward from a position, inclusive, newest first', [], async (t) => {
    const { events } = await seed(t);
    const options: ReadOptions = { from: events[3]!.position, direction: 'backward', types: [t.type('>')] };
    expect(await data(t, options)).toEqual([4, 3, 2, 1]);
  });

  suite.test('reads backward from the end by default, newest first', [], async (t) => {
    await seed(t);
    expect(await data(t, { direction: 'backward', types: [t.type('>')] })).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await data(t, { from: 'end', direction: 'backward', types: [t.type('>')], limit: 2 })).toEqual([
      6, 5,
    ]);
  });

  suite.test('a forward read from the end yields nothing', [], async (t) => {
    await seed(t);
    expect(await data(t, { from: 'end', types: [t.type('>')] })).toEqual([]);
  });

  suite.test('limit caps a read', [], async (t) => {
    await seed(t);
    expect(await data(t, { types: [t.type('>')], limit: 3 })).toEqual([1, 2, 3]);
    expect(await data(t, { types: [t.type('>')], limit: 0 })).toEqual([]);
  });

  suite.test(
    'reads one stream in version order, from a version inclusive in either direction',
    [],
    async (t) => {
      await seed(t);
      const stream = t.name('order');
      expect((await readAll(t.log, { stream })).map((e) => [e.version, e.data])).toEqual([
        [1, 1],
        [2, 2],
        [3, 5],
        [4, 6],
      ]);
      expect(await data(t, { stream, fromVersion: 3 })).toEqual([5, 6]);
      expect(await data(t, { stream, fromVersion: 2, direction: 'backward' })).toEqual([2, 1]);
      expect(await data(t, { stream: t.name('invoice') })).toEqual([3]);
      expect(await data(t, { stream: t.name('none') })).toEqual([]);
    },
  );

  suite.test('filters by correlation id', [], async (t) => {
    const { flow } = await seed(t);
    expect(await data(t, { correlationId: flow })).toEqual([1, 2, 3]);
  });

  suite.test(
    'filters by recorded time: after is inclusive, before exclusive, as Date or string',
    [],
    async (t) => {
      const { later } = await seed(t);
      const types = [t.type('>')];
      expect(await data(t, { types, after: later.recordedat })).toEqual([5, 6]);
      expect(await data(t, { types, after: new Date(later.recordedat) })).toEqual([5, 6]);
      expect(await data(t, { types, before: later.recordedat })).toEqual([1, 2, 3, 4]);
      expect(await data(t, { types, after: later.recordedat, before: new Date(later.recordedat) })).toEqual(
        [],
      );
    },
  );

  suite.test('from a Date starts at the first event recorded at or after it (forward)', [], async (t) => {
    const { events, later } = await seed(t);
    const types = [t.type('>')];
    expect(await data(t, { types, from: new Date(later.recordedat) })).toEqual([5, 6]);
    const back: ReadOptions = { types, from: new Date(events[3]!.recordedat), direction: 'backward' };
    expect(await data(t, back)).toEqual([4, 3, 2, 1]);
  });

  suite.test('combines every filter with AND', [], async (t) => {
    const { flow } = await seed(t);
    const stream = t.name('order');
    const types = [t.type('order.created'), t.type('order.shipped')];
    expect(await data(t, { stream, types })).toEqual([1, 5]);
    expect(await data(t, { stream, types, direction: 'backward', limit: 1 })).toEqual([5]);
    expect(await data(t, { stream, types, correlationId: flow })).toEqual([1]);
  });

  suite.test('refuses invalid read options', [], async (t) => {
    await seed(t);
    expect(await caught(() => readAll(t.log, { types: [`${t.prefix}..x`] }))).toMatchObject({
      code: 'INVALID_PATTERN',
    });
    const bad = [{ limit: -1 }, { after: 'yesterday' }, { direction: 'sideways' }, { from: -5 }];
    for (const options of bad) {
      expect(
        await caught(() => readAll(t.log, options as ReadOptions)),
        JSON.stringify(options),
      ).toMatchObject({
        code: 'INVALID_OPTION',
      });
    }
  });
}
