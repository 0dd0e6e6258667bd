import { expect } from 'vitest';
import { HeraldError } from '../../errors/index.js';
import type { EventLog, StoredEvent } from '../../log/types.js';
import { waitFor } from '../wait-for.js';
import { caught, consume, readAll, recordedMs } from './helpers.js';
import type { Suite } from './suite.js';

/** The stored events of `ids`, once all of them are in the log (or fails after `timeoutMs`). */
async function delivered(log: EventLog, ids: readonly string[], timeoutMs = 10_000): Promise<StoredEvent[]> {
  const wanted = new Set(ids);
  const found = await waitFor(
    async () => {
      const found = (await readAll(log)).filter((e) => wanted.has(e.id));
      return found.length >= wanted.size ? found : undefined;
    },
    { timeoutMs, message: `${ids.length} scheduled events were not all appended` },
  );
  return found!;
}

function code(error: unknown): string | undefined {
  return error instanceof HeraldError ? error.code : undefined;
}

/** Delayed and scheduled delivery: `schedule`, `cancelScheduled`, `scheduled` and the mover. */
export function scheduledDeliveryCases(suite: Suite): void {
  suite.test(
    'a delayed event enters the log when due, never before, with its position then',
    [],
    async (t) => {
      const type = t.type('later');
      const tail: StoredEvent[] = [];
      const subscription = t.log.subscribe({ from: 'end', types: [t.type('>')] });
      const tailing = consume(subscription, tail);
      const before = Date.now();
      const [s] = await t.log.schedule([{ type, data: { n: 1 } }], { delayMs: 300 });
      expect(s).toMatchObject({ duplicate: false });
      const dueAt = Date.parse(s!.deliverAt);
      expect(dueAt).toBeGreaterThanOrEqual(before + 300);
      // Not there yet: an append made meanwhile gets the lower position.
      expect(await t.log.get(s!.id)).toBeUndefined();
      const [now] = await t.log.append([{ type: t.type('now'), data: {} }]);
      const [stored] = await delivered(t.log, [s!.id]);
      expect(stored!.position).toBeGreaterThan(now!.position);
      expect(stored).toMatchObject({ id: s!.id, type, data: { n: 1 } });
      expect(recordedMs(stored!)).toBeGreaterThanOrEqual(dueAt);
      await waitFor(() => tail.length >= 2, { message: 'the tail did not see the delivered event' });
      expect(tail.map((e) => e.id)).toEqual([now!.id, s!.id]);
      await subscription.close();
      await tailing;
      expect(await t.log.scheduled()).toEqual([]);
    },
  );

  suite.test(
    'deliverAt takes a Date, an RFC 3339 string or ms; a past time is due at once',
    [],
    async (t) => {
      const at = Date.now() + 200;
      const results = await Promise.all([
        t.log.schedule([{ type: t.type('a'), data: {} }], { deliverAt: new Date(at) }),
        t.log.schedule([{ type: t.type('b'), data: {} }], {
          deliverAt: new Date(at).toISOString().replace('Z', '+00:00'),
        }),
        t.log.schedule([{ type: t.type('c'), data: {} }], { deliverAt: at }),
        t.log.schedule([{ type: t.type('d'), data: {} }], { deliverAt: '2020-01-01T00:00:00Z' }),
      ]);
      const ids = results.map(([r]) => r!.id);
      expect(results.slice(0, 3).map(([r]) => Date.parse(r!.deliverAt))).toEqual([at, at, at]);
      const stored = await delivered(t.log, ids);
      for (const e of stored) {
        const due = Date.parse(results.find(([r]) => r!.id === e.id)![0]!.deliverAt);
        expect(recordedMs(e)).toBeGreaterThanOrEqual(due);
      }
    },
  );

  suite.test('a batch is scheduled whole, to a stream if asked, and appended with its ids', [], async (t) => {
    const stream = t.name('s');
    const scheduled = await t.log.schedule(
      [
        { type: t.type('a'), data: { n: 0 } },
        { type: t.type('a'), data: { n: 1 } },
      ],
      { delayMs: 50, stream },
    );
    const stored = await delivered(
      t.log,
      scheduled.map((s) => s.id),
    );
    expect(stored.map((e) => [e.stream, e.version])).toEqual([
      [stream, 1],
      [stream, 2],
    ]);
    expect(await t.log.streamVersion(stream)).toBe(2);
  });

  suite.test('bad input schedules nothing and names the problem', [], async (t) => {
    const good = { type: t.type('a'), data: {} };
    expect(code(await caught(() => t.log.schedule([good], {})))).toBe('INVALID_OPTION');
    expect(code(await caught(() => t.log.schedule([good], { delayMs: 1, deliverAt: new Date() })))).toBe(
      'INVALID_OPTION',
    );
    expect(code(await caught(() => t.log.schedule([good], { delayMs: -1 })))).toBe('INVALID_OPTION');
    expect(code(await caught(() => t.log.schedule([good], { deliverAt: 'tomorrow' })))).toBe(
      'INVALID_OPTION',
    );
    expect(code(await caught(() => t.log.schedule([good], { deliverAt: '2030-01-01T00:00:00' })))).toBe(
      'INVALID_OPTION',
    );
    const invalid = await caught(() =>
      t.log.schedule([good, { type: 'bad..type', data: {} }], { delayMs: 10 }),
    );
    expect(code(invalid)).toBe('INVALID_TYPE');
    expect((invalid as HeraldError).details).toMatchObject({ index: 1 });
    expect(code(await caught(() => t.log.scheduled({ limit: 0 })))).toBe('INVALID_OPTION');
    expect(code(await caught(() => t.log.scheduled({ limit: 1001 })))).toBe('INVALID_OPTION');
    expect(await t.log.scheduled()).toEqual([]);
  });

  suite.test('a repeated id is a duplicate: stored and appended once', [], async (t) => {
    const id = `${t.prefix}-once`;
    const event = { specversion: '1.0', id, source: '/test', type: t.type('a'), data: {} } as const;
    const [first] = await t.log.schedule([event], { delayMs: 150 });
    const [again] = await t.log.schedule([event], { delayMs: 5_000 });
    expect(first).toMatchObject({ id, duplicate: false });
    expect(again).toEqual({ id, deliverAt: first!.deliverAt, duplicate: true });
    const [inBatch, copy] = await t.log.schedule(
      [
        { ...event, id: `${id}-b` },
        { ...event, id: `${id}-b` },
      ],
      { delayMs: 150 },
    );
    expect([inBatch!.duplicate, copy!.duplicate]).toEqual([false, true]);
    await delivered(t.log, [id, `${id}-b`]);
    const all = await readAll(t.log);
    expect(all.filter((e) => e.id === id)).toHaveLength(1);
    expect(all.filter((e) => e.id === `${id}-b`)).toHaveLength(1);
  });

  suite.test('a cancelled event is never appended; cancel answers whether it was pending', [], async (t) => {
    const [gone, kept] = await Promise.all([
      t.log.schedule([{ type: t.type('gone'), data: {} }], { delayMs: 200 }),
      t.log.schedule([{ type: t.type('kept'), data: {} }], { delayMs: 400 }),
    ]);
    expect(await t.log.cancelScheduled(gone[0]!.id)).toBe(true);
    expect(await t.log.cancelScheduled(gone[0]!.id)).toBe(false);
    expect(await t.log.cancelScheduled(`${t.prefix}-unknown`)).toBe(false);
    // The later one is appended: the cancelled one, due before it, would have been too.
    await delivered(t.log, [kept[0]!.id]);
    expect(await t.log.get(gone[0]!.id)).toBeUndefined();
    expect(await t.log.cancelScheduled(kept[0]!.id)).toBe(false);
    expect(code(await caught(() => t.log.cancelScheduled('')))).toBe('INVALID_OPTION');
  });

  suite.test('scheduled lists the pending events in due order, page by page', [], async (t) => {
    const base = Date.now() + 60_000;
    const ids: string[] = [];
    for (const offset of [3, 1, 2, 1, 0]) {
      const [s] = await t.log.schedule([{ type: t.type('a'), data: { offset } }], {
        deliverAt: base + offset * 1000,
      });
      ids.push(s!.id);
    }
    const all = await t.log.scheduled({ limit: 1000 });
    expect(all.map((s) => (s.event.data as { offset: number }).offset)).toEqual([0, 1, 1, 2, 3]);
    expect(all[0]).toMatchObject({ deliverAt: new Date(base).toISOString(), stream: undefined });
    const sameTime = all.filter((s) => s.deliverAt === all[1]!.deliverAt).map((s) => s.event.id);
    expect(sameTime).toEqual([...sameTime].sort());
    const first = await t.log.scheduled({ limit: 2 });
    const next = await t.log.scheduled({
      limit: 2,
      after: { deliverAt: first[1]!.deliverAt, id: first[1]!.event.id },
    });
    expect([...first, ...next].map((s) => s.event.id)).toEqual(all.slice(0, 4).map((s) => s.event.id));
    for (const id of ids) expect(await t.log.cancelScheduled(id)).toBe(true);
    expect(await t.log.scheduled()).toEqual([]);
  });

  suite.test(
    'events still pending at a restart are appended after it',
    ['survivesReopen', 'restart'],
    async (t) => {
      const scheduled = await t.log.schedule(
        [
          { type: t.type('a'), data: { n: 0 } },
          { type: t.type('a'), data: { n: 1 } },
        ],
        { delayMs: 400 },
      );
      const log = await t.restart();
      expect((await log.scheduled()).map((s) => s.event.id)).toEqual(scheduled.map((s) => s.id).sort());
      const stored = await delivered(
        log,
        scheduled.map((s) => s.id),
      );
      expect(stored).toHaveLength(2);
    },
  );

  suite.test(
    'a log that does not move leaves it to another on the same storage',
    ['second'],
    async (t) => {
      // The case's own log was opened with { move: false }: only the second one moves.
      const mover = await t.second();
      const scheduled = await t.log.schedule([{ type: t.type('a'), data: {} }], { delayMs: 100 });
      await delivered(mover, [scheduled[0]!.id]);
      expect(await t.log.get(scheduled[0]!.id)).toMatchObject({ id: scheduled[0]!.id });
    },
    { scheduler: { move: false } },
  );

  suite.test(
    'several movers append each event once, never early, and honour cancels',
    ['second'],
    async (t) => {
      const logs = [t.log, await t.second(), await t.second()];
      const start = Date.now();
      const results = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          logs[i % 3]!.schedule([{ type: t.type('a'), data: { i } }], {
            deliverAt: start + 100 + (i % 30) * 10,
          }),
        ),
      );
      const ids = results.map(([r]) => r!.id);
      // Cancel every fifth while the movers run; each cancel that says true must hold.
      const cancels = await Promise.all(
        ids
          .filter((_, i) => i % 5 === 0)
          .map((id) => logs[1]!.cancelScheduled(id).then((ok) => [id, ok] as const)),
      );
      const cancelled = new Set(cancels.filter(([, ok]) => ok).map(([id]) => id));
      const wanted = ids.filter((id) => !cancelled.has(id));
      await delivered(t.log, wanted);
      const [sentinel] = await t.log.schedule([{ type: t.type('z'), data: {} }], { delayMs: 50 });
      await delivered(t.log, [sentinel!.id]);
      const all = (await readAll(t.log)).filter((e) => e.type === t.type('a'));
      expect(all.length).toBe(wanted.length);
      expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
      for (const e of all) expect(cancelled.has(e.id)).toBe(false);
      for (const e of all) {
        const i = (e.data as { i: number }).i;
        expect(recordedMs(e)).toBeGreaterThanOrEqual(start + 100 + (i % 30) * 10);
      }
      expect(await t.log.scheduled()).toEqual([]);
    },
  );
}
