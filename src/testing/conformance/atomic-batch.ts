import { expect } from 'vitest';
import { ConcurrencyError } from '../../errors/index.js';
import { caught, readAll } from './helpers.js';
import type { Suite } from './suite.js';

/** A batch is stored whole or not at all. */
export function atomicBatchCases(suite: Suite): void {
  suite.test(
    'stores nothing from a batch with one invalid event (INVALID_EVENT with its index)',
    [],
    async (t) => {
      const stream = t.name('s');
      const good = { id: `${t.prefix}-good`, type: t.type('ok') };
      const err = await caught(() =>
        t.log.append([good, { type: t.type('bad'), time: 'lunchtime' }, { type: t.type('ok') }], { stream }),
      );
      expect(err).toMatchObject({ code: 'INVALID_EVENT', details: { index: 1 } });
      expect(await t.log.get(good.id)).toBeUndefined();
      expect(await t.log.streamVersion(stream)).toBe(0);
      expect(await readAll(t.log, { types: [t.type('>')] })).toEqual([]);
    },
  );

  suite.test('stores nothing from a batch with a type outside the grammar (INVALID_TYPE)', [], async (t) => {
    const err = await caught(() => t.log.append([{ type: t.type('ok') }, { type: `${t.prefix}..bad` }]));
    expect(err).toMatchObject({ code: 'INVALID_TYPE', details: { index: 1 } });
    expect(await readAll(t.log, { types: [t.type('>')] })).toEqual([]);
  });

  suite.test('stores nothing from a batch that fails its expectedVersion', [], async (t) => {
    const stream = t.name('s');
    const type = t.type('step');
    await t.log.append([{ type }], { stream });
    const err = await caught(() =>
      t.log.append([{ type }, { type }, { type }], { stream, expectedVersion: 0 }),
    );
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(await t.log.streamVersion(stream)).toBe(1);
    expect(await readAll(t.log, { stream })).toHaveLength(1);
  });

  suite.test(
    'gives each batch consecutive stream versions while appenders race on the stream',
    [],
    async (t) => {
      const stream = t.name('s');
      const type = t.type('step');
      const batches = await Promise.all(
        Array.from({ length: 8 }, () => t.log.append([{ type }, { type }, { type }, { type }], { stream })),
      );
      for (const batch of batches) {
        const versions = batch.map((r) => r.version!);
        expect(versions).toEqual([versions[0]!, versions[0]! + 1, versions[0]! + 2, versions[0]! + 3]);
      }
      const all = batches.flat().map((r) => r.version!);
      expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    },
  );
}
