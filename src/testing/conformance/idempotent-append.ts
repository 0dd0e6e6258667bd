import { expect } from 'vitest';
import { ConcurrencyError, HeraldError } from '../../errors/index.js';
import { caught, readAll } from './helpers.js';
import type { Suite } from './suite.js';

/** The `DUPLICATE_ID_CONFLICT` error of `fn`, failing the case on anything else. */
async function conflictOf(fn: () => unknown): Promise<HeraldError> {
  const err = await caught(fn);
  expect(err).toBeInstanceOf(HeraldError);
  expect((err as HeraldError).code).toBe('DUPLICATE_ID_CONFLICT');
  return err as HeraldError;
}

/**
 * Dedup by event id: a retried append stores nothing twice; an id already used by another event
 * (other source, type, subject, content type, schema or data) is a conflict, not a duplicate.
 */
export function idempotentAppendCases(suite: Suite): void {
  suite.test(
    're-appending stored ids returns the originals marked duplicate and stores nothing',
    [],
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

  suite.test('an all-duplicate retry succeeds although its expectedVersion is now stale', [], async (t) => {
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
  });

  suite.test(
    'a batch mixing stored and new ids checks the version and stores only the new ones',
    [],
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

  suite.test('an id repeated within one batch is stored once', [], async (t) => {
    const event = { id: `${t.prefix}-a`, type: t.type('a') };
    const results = await t.log.append([event, event]);
    expect(results[0]!.duplicate).toBe(false);
    expect(results[1]).toEqual({ ...results[0], duplicate: true });
    expect(await readAll(t.log, { types: [t.type('>')] })).toHaveLength(1);
  });

  suite.test(
    'a batch repeating a new id after a stored one reports the repeat as a duplicate',
    [],
    async (t) => {
      const seen = { id: `${t.prefix}-seen`, type: t.type('a') };
      const fresh = { id: `${t.prefix}-new`, type: t.type('a') };
      const [before] = await t.log.append([seen]);
      const results = await t.log.append([fresh, fresh, seen]);
      expect(results.map((r) => [r.id, r.duplicate])).toEqual([
        [fresh.id, false],
        [fresh.id, true],
        [seen.id, true],
      ]);
      expect(results[1]!.position).toBe(results[0]!.position);
      expect(results[2]!.position).toBe(before!.position);
      expect(await readAll(t.log, { types: [t.type('>')] })).toHaveLength(2);
    },
  );

  suite.test(
    'a duplicate reports where the original was stored, even when re-appended elsewhere',
    [],
    async (t) => {
      const event = { id: `${t.prefix}-a`, type: t.type('a') };
      const [original] = await t.log.append([event], { stream: t.name('one') });
      const [again] = await t.log.append([event], { stream: t.name('two') });
      expect(again).toEqual({ ...original, stream: t.name('one'), duplicate: true });
      expect(await t.log.streamVersion(t.name('two'))).toBe(0);
    },
  );

  suite.test(
    'an id stored by another source is a conflict that reveals nothing of the stored event',
    [],
    async (t) => {
      const id = `${t.prefix}-a`;
      const owner = {
        id,
        source: `/${t.prefix}/owner`,
        type: t.type('a'),
        subject: 'private',
        data: { n: 1 },
      };
      const [original] = await t.log.append([owner], { stream: t.name('hidden') });
      const squatter = { id, source: '/squatter', type: t.type('a'), subject: 'mine', data: { n: 1 } };
      const err = await conflictOf(() => t.log.append([squatter], { stream: t.name('mine') }));
      expect(err.details).toEqual({ index: 0, id, conflicts: [0], appended: [{ id, conflict: true }] });
      const said = `${err.message} ${JSON.stringify(err.details)}`;
      // The details hold no position, stream or attribute of the stored event (checked above).
      for (const secret of ['owner', 'hidden', 'private']) expect(said).not.toContain(secret);
      expect(await t.log.get(id)).toMatchObject({ source: owner.source, position: original!.position });
      expect(await t.log.streamVersion(t.name('mine'))).toBe(0);
    },
  );

  suite.test('an id stored with other data, type or subject is a conflict', [], async (t) => {
    const base = { id: `${t.prefix}-a`, source: '/s', type: t.type('a'), subject: 'x', data: { n: 1 } };
    await t.log.append([base]);
    for (const other of [
      { ...base, data: { n: 2 } },
      { ...base, data: undefined },
      { ...base, type: t.type('b') },
      { ...base, subject: 'y' },
      { ...base, dataschema: 'https://example.com/s' },
    ]) {
      await conflictOf(() => t.log.append([other]));
    }
    expect(await t.log.get(base.id)).toMatchObject({ type: base.type, subject: 'x', data: { n: 1 } });
    expect(await readAll(t.log, { types: [t.type('>')] })).toHaveLength(1);
  });

  suite.test(
    'the same event with another time, extensions or key order is still a duplicate',
    [],
    async (t) => {
      const event = {
        specversion: '1.0' as const,
        id: `${t.prefix}-a`,
        source: '/s',
        type: t.type('a'),
        time: '2024-01-01T00:00:00.000Z',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        data: { a: 1, b: [1, { c: 'x', d: null }] },
      };
      const [first] = await t.log.append([event]);
      const retry = {
        specversion: '1.0' as const,
        id: event.id,
        type: event.type,
        source: event.source,
        time: '2025-06-01T12:00:00.000Z',
        correlationid: 'c-1',
        data: { b: [1, { d: null, c: 'x' }], a: 1 },
      };
      expect(await t.log.append([retry])).toEqual([{ ...first, duplicate: true }]);
      expect(await t.log.get(event.id)).toMatchObject({ time: event.time, traceparent: event.traceparent });
    },
  );

  suite.test(
    'an id repeated within one batch with other content is a conflict; the new events are kept',
    [],
    async (t) => {
      const a = { id: `${t.prefix}-a`, source: '/s', type: t.type('a'), data: { n: 1 } };
      const b = { id: `${t.prefix}-b`, source: '/s', type: t.type('b') };
      const err = await conflictOf(() => t.log.append([a, b, { ...a, data: { n: 2 } }]));
      expect(err.details).toMatchObject({ index: 2, id: a.id, conflicts: [2] });
      const appended = err.details.appended as { id: string; duplicate?: boolean; conflict?: true }[];
      expect(appended.map((r) => [r.id, r.duplicate, r.conflict])).toEqual([
        [a.id, false, undefined],
        [b.id, false, undefined],
        [a.id, undefined, true],
      ]);
      // Stored as the batch's first copy said; a retry of the valid events reports duplicates.
      expect(await t.log.get(a.id)).toMatchObject({ data: { n: 1 } });
      const retry = await t.log.append([a, b]);
      expect(retry.map((r) => r.duplicate)).toEqual([true, true]);
      expect(await readAll(t.log, { types: [t.type('>')] })).toHaveLength(2);
    },
  );
}
