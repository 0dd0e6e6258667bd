import { expect } from 'vitest';
import type { Appended, StoredEvent } from '../../log/types.js';
import { waitFor } from '../wait-for.js';
import { consume, expectIncreasing, readAll } from './helpers.js';
import type { Suite } from './suite.js';

const PRODUCERS = 20;
const EACH = 50;

/** Appenders racing each other. */
export function concurrentAppendsCases(suite: Suite): void {
  suite.test(
    `${PRODUCERS} concurrent appenders of ${EACH} events get unique increasing positions that a concurrent tail sees once each`,
    [],
    async (t) => {
      const type = t.type('tick');
      const total = PRODUCERS * EACH;
      const tail = t.log.subscribe({ from: (await t.log.bounds()).last + 1, types: [type] });
      const seen: StoredEvent[] = [];
      const tailing = consume(tail, seen);
      const producers = await Promise.all(
        Array.from({ length: PRODUCERS }, async (_, p) => {
          const out: Appended[] = [];
          for (let i = 0; i < EACH; i++) out.push(...(await t.log.append([{ type, data: { p, i } }])));
          return out;
        }),
      );
      for (const produced of producers) expectIncreasing(produced.map((r) => r.position));
      expect(new Set(producers.flat().map((r) => r.position)).size).toBe(total);
      const read = await readAll(t.log, { types: [type] });
      expect(read).toHaveLength(total);
      expectIncreasing(read.map((e) => e.position));
      await waitFor(() => seen.length >= total, {
        timeoutMs: 10_000,
        message: `the tail saw ${seen.length}`,
      });
      await tail.close();
      await tailing;
      expect(seen.map((e) => e.position)).toEqual(read.map((e) => e.position));
    },
  );

  suite.test('concurrent appends to one stream get versions 1..N without gap or repeat', [], async (t) => {
    const stream = t.name('s');
    const type = t.type('step');
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 10; i++) await t.log.append([{ type }], { stream });
      }),
    );
    const events = await readAll(t.log, { stream });
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expectIncreasing(events.map((e) => e.position));
    expect(await t.log.streamVersion(stream)).toBe(100);
  });
}
