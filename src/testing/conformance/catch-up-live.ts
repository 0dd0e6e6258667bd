import { expect } from 'vitest';
import type { StoredEvent } from '../../log/types.js';
import { waitFor } from '../wait-for.js';
import { consume, elapsed, numbered, readAll, settled } from './helpers.js';
import type { Suite } from './suite.js';

/** The live tail: history, then live, with no gap or duplicate at the switch. */
export function catchUpLiveCases(suite: Suite): void {
  suite.test(
    'a subscription from the start gets history then live events exactly once, in order, while appends continue',
    [],
    async (t) => {
      const type = t.type('tick');
      for (let i = 0; i < 20; i++) await t.log.append(numbered(type, 10, i * 10));
      const sub = t.log.subscribe({ from: 'start', types: [type], batchSize: 16 });
      const seen: StoredEvent[] = [];
      const tailing = (async () => {
        for await (const event of sub) {
          seen.push(event);
          // A slow consumer, so the appends below land both ahead of it and behind it.
          if (seen.length % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      for (let i = 20; i < 50; i++) await t.log.append(numbered(type, 10, i * 10));
      await waitFor(() => seen.length >= 500, { timeoutMs: 10_000, message: `saw ${seen.length} of 500` });
      await sub.close();
      await tailing;
      const stored = await readAll(t.log, { types: [type] });
      expect(seen.map((e) => e.position)).toEqual(stored.map((e) => e.position));
      expect(seen.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    },
  );

  suite.test('a subscription from the end gets only events appended after it started', [], async (t) => {
    const type = t.type('tick');
    await t.log.append(numbered(type, 3));
    const sub = t.log.subscribe({ types: [type] });
    const seen: StoredEvent[] = [];
    const tailing = consume(sub, seen);
    await t.log.append(numbered(type, 2, 100));
    await waitFor(() => seen.length >= 2);
    await sub.close();
    await tailing;
    expect(seen.map((e) => e.data)).toEqual([{ n: 100 }, { n: 101 }]);
  });

  suite.test('a subscription from a position starts there, inclusive, and goes on live', [], async (t) => {
    const type = t.type('tick');
    const history = await t.log.append(numbered(type, 3));
    const sub = t.log.subscribe({ from: history[1]!.position, types: [type] });
    const seen: StoredEvent[] = [];
    const tailing = consume(sub, seen);
    await t.log.append(numbered(type, 1, 3));
    await waitFor(() => seen.length >= 3);
    await sub.close();
    await tailing;
    expect(seen.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  suite.test(
    'a subscription from a Date starts at the first event recorded at or after it',
    [],
    async (t) => {
      const type = t.type('tick');
      await t.log.append(numbered(type, 2));
      await elapsed(Date.now(), 5);
      const [later] = await t.log.append(numbered(type, 2, 2));
      const recorded = (await t.log.get(later!.id))!.recordedat;
      const sub = t.log.subscribe({ from: new Date(recorded), types: [type] });
      const seen: StoredEvent[] = [];
      const tailing = consume(sub, seen);
      await waitFor(() => seen.length >= 2);
      await sub.close();
      await tailing;
      expect(seen.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);
    },
  );

  suite.test('with batchSize 1 it still delivers history and live events in order', [], async (t) => {
    const type = t.type('tick');
    await t.log.append(numbered(type, 5));
    const sub = t.log.subscribe({ from: 'start', types: [type], batchSize: 1 });
    const seen: StoredEvent[] = [];
    const tailing = consume(sub, seen);
    await t.log.append(numbered(type, 5, 5));
    await waitFor(() => seen.length >= 10);
    await sub.close();
    await tailing;
    expect(seen.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  suite.test('position is 0 before the first event, then the last position handed out', [], async (t) => {
    const type = t.type('tick');
    const sub = t.log.subscribe({ types: [type] });
    expect(sub.position).toBe(0);
    const appended = await t.log.append(numbered(type, 2));
    const first = await sub.next();
    expect(first.done).toBe(false);
    expect(sub.position).toBe(appended[0]!.position);
    await sub.next();
    expect(sub.position).toBe(appended[1]!.position);
    await sub.close();
  });

  suite.test('close ends the iteration: a pending next resolves done', [], async (t) => {
    const sub = t.log.subscribe({ types: [t.type('>')] });
    const pending = sub.next();
    await sub.close();
    expect(await settled(pending, 'a pending next() did not end at close()')).toMatchObject({ done: true });
    expect(await sub.next()).toMatchObject({ done: true });
  });

  suite.test('breaking out of for-await ends the subscription', [], async (t) => {
    const type = t.type('tick');
    await t.log.append(numbered(type, 3));
    const sub = t.log.subscribe({ from: 'start', types: [type] });
    for await (const event of sub) {
      expect(event.data).toEqual({ n: 0 });
      break;
    }
    expect(await sub.next()).toMatchObject({ done: true });
  });

  suite.test('closing the log ends its open subscriptions', [], async (t) => {
    const sub = t.log.subscribe({ types: [t.type('>')] });
    const pending = sub.next();
    await t.log.close();
    expect(await settled(pending, 'a pending next() did not end when the log closed')).toMatchObject({
      done: true,
    });
  });

  suite.test('delivers only the types asked for', [], async (t) => {
    const sub = t.log.subscribe({ types: [t.type('order.*')] });
    const seen: StoredEvent[] = [];
    const tailing = consume(sub, seen);
    await t.log.append([
      { type: t.type('order.created'), data: 1 },
      { type: t.type('invoice.sent'), data: 2 },
      { type: t.type('order.paid'), data: 3 },
    ]);
    await waitFor(() => seen.length >= 2);
    await sub.close();
    await tailing;
    expect(seen.map((e) => e.data)).toEqual([1, 3]);
  });
}
