import { expect } from 'vitest';
import { waitFor } from '../wait-for.js';
import { numbered, readAll, recordedMs } from './helpers.js';
import type { Suite } from './suite.js';

/** Deleting events: streams, and the log-wide retention limits. */
export function retentionCases(suite: Suite): void {
  suite.test('truncateStream deletes the events below a version and the stream goes on', [], async (t) => {
    const stream = t.name('s');
    const appended = await t.log.append(numbered(t.type('a'), 5), { stream });
    expect(await t.log.truncateStream(stream, 3)).toBe(2);
    expect((await readAll(t.log, { stream })).map((e) => e.version)).toEqual([3, 4, 5]);
    expect(await t.log.get(appended[0]!.id)).toBeUndefined();
    expect(await t.log.streamVersion(stream)).toBe(5);
    expect(await t.log.truncateStream(stream, 3)).toBe(0);
    const [next] = await t.log.append(numbered(t.type('a'), 1, 5), { stream, expectedVersion: 'any' });
    expect(next!.version).toBe(6);
  });

  suite.test('deleteStream deletes every event of the stream and nothing else', [], async (t) => {
    const stream = t.name('s');
    const kept = t.name('kept');
    await t.log.append(numbered(t.type('a'), 3), { stream });
    await t.log.append(numbered(t.type('a'), 2), { stream: kept });
    expect(await t.log.deleteStream(stream)).toBe(3);
    expect(await readAll(t.log, { stream })).toEqual([]);
    expect(await t.log.streamVersion(stream)).toBe(0);
    expect(await readAll(t.log, { stream: kept })).toHaveLength(2);
    expect(await t.log.deleteStream(stream)).toBe(0);
  });

  suite.test('positions are never reused after deletes', [], async (t) => {
    const stream = t.name('s');
    const appended = await t.log.append(numbered(t.type('a'), 3), { stream });
    await t.log.deleteStream(stream);
    const [next] = await t.log.append(numbered(t.type('a'), 1));
    expect(next!.position).toBeGreaterThan(appended[2]!.position);
  });

  suite.test(
    'maxEvents keeps only the newest events',
    [],
    async (t) => {
      const appended = [];
      for (let i = 0; i < 5; i++) appended.push(...(await t.log.append(numbered(t.type('a'), 1, i))));
      await t.log.applyRetention();
      expect((await readAll(t.log, { types: [t.type('>')] })).map((e) => e.data)).toEqual([
        { n: 2 },
        { n: 3 },
        { n: 4 },
      ]);
      expect(await t.log.get(appended[0]!.id)).toBeUndefined();
      expect(await t.log.applyRetention()).toBe(0);
      const { first } = await t.log.bounds();
      expect(first).toBe(appended[2]!.position);
    },
    { retention: { maxEvents: 3 } },
  );

  suite.test(
    'maxAgeMs deletes events recorded longer ago',
    [],
    async (t) => {
      const [old] = await t.log.append(numbered(t.type('a'), 1));
      const recorded = recordedMs((await t.log.get(old!.id))!);
      await waitFor(() => Date.now() > recorded + 100, { message: 'the clock did not move' });
      expect(await t.log.applyRetention()).toBeGreaterThanOrEqual(1);
      expect(await t.log.get(old!.id)).toBeUndefined();
      const [fresh] = await t.log.append(numbered(t.type('a'), 1, 1));
      expect(await t.log.get(fresh!.id)).toBeDefined();
    },
    { retention: { maxAgeMs: 60 } },
  );
}
