import { expect } from 'vitest';
import { ConcurrencyError } from '../../errors/index.js';
import { caught, readAll } from './helpers.js';
import type { Suite } from './suite.js';

/** Dedup by event id: a retried append stores nothing twice. */
export function idempotentAppendCases(suite: Suite): void {
  suite.test(
    're-appending stored ids returns the originals marked duplicate and stores nothing',
    ['idempotentAppend'],
    async (t) => {
      const stream = t.name('s');
      const events = [
        { id: `${t.prefix}-a`, type: t.type('a'), data: { n: 1 } },
        { id: `${t.prefix}-b`, type: t.type('b'), data: { n: 2 } },
      ];
      const first = await t.log.append(events, { stream });
      const again = await t.log.append(events, { stream });
      expect(again).toEqual(first.map((r) => ({ ...r, duplicate: true })));
      expect(await readAll(t.log, { types: [t.type('>')] })).toHaveLength(2);
      expect(await t.log.streamVersion(stream)).toBe(2);
    },
  );

  suite.test(
    'an all-duplicate retry succeeds although its expectedVersion is now stale',
    ['idempotentAppend', 'expectedVersion'],
    async (t) => {
      const stream = t.name('s');
      const events = [
        { id: `${t.prefix}-a`, type: t.type('a') },
        { id: `${t.prefix}-b`, type: t.type('b') },
      ];
      const first = await t.log.append(events, { stream, expectedVersion: 'no_stream' });
      // The caller lost the reply and retries with the same expectation.
      const retry = await t.log.append(events, { stream, expectedVersion: 'no_stream' });
      expect(retry).toEqual(first.map((r) => ({ ...r, duplicate: true })));
      expect(await t.log.streamVersion(stream)).toBe(2);
    },
  );

  suite.test(
    'a batch mixing stored and new ids checks the version and stores only the new ones',
    ['idempotentAppend', 'expectedVersion'],
    async (t) => {
      const stream = t.name('s');
      const a = { id: `${t.prefix}-a`, type: t.type('a') };
      const b = { id: `${t.prefix}-b`, type: t.type('b') };
      const c = { id: `${t.prefix}-c`, type: t.type('c') };
      const d = { id: `${t.prefix}-d`, type: t.type('d') };
      const [ra] = await t.log.append([a, b], { stream });
      const mixed = await t.log.append([a, c], { stream, expectedVersion: 2 });
      expect(mixed[0]).toEqual({ ...ra, duplicate: true });
      expect(mixed[1]).toMatchObject({ id: c.id, stream, version: 3, duplicate: false });
      const err = await caught(() => t.log.append([b, d], { stream, expectedVersion: 2 }));
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(await t.log.get(d.id)).toBeUndefined();
      expect(await t.log.streamVersion(stream)).toBe(3);
    },
  );

  suite.test('an id repeated within one batch is stored once', ['idempotentAppend'], async (t) => {
    const event = { id: `${t.prefix}-a`, type: t.type('a') };
    const results = await t.log.append([event, event]);
    expect(results[0]!.duplicate).toBe(false);
    expect(results[1]).toEqual({ ...results[0], duplicate: true });
    expect(await readAll(t.log, { types: [t.type('>')] })).toHaveLength(1);
  });

  suite.test(
    'a duplicate reports where the original was stored, even when re-appended elsewhere',
    ['idempotentAppend'],
    async (t) => {
      const event = { id: `${t.prefix}-a`, type: t.type('a') };
      const [original] = await t.log.append([event], { stream: t.name('one') });
      const [again] = await t.log.append([event], { stream: t.name('two') });
      expect(again).toEqual({ ...original, stream: t.name('one'), duplicate: true });
      expect(await t.log.streamVersion(t.name('two'))).toBe(0);
    },
  );
}
