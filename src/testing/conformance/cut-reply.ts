import { expect } from 'vitest';
import { readAll } from './helpers.js';
import type { CaseContext, Suite } from './suite.js';

/** Opens the case's connections (and loads whatever the log loads on its first append). */
async function warm(t: CaseContext): Promise<void> {
  await t.log.append([{ type: t.type('warm') }]);
}

/** Every event of `type` as `id@position`, in log order. */
async function stored(t: CaseContext, type: string): Promise<string[]> {
  return (await readAll(t.log, { types: [type] })).map((e) => `${e.id}@${e.position}`);
}

/**
 * A write whose reply is lost with its connection (the server did it, the log never heard): the
 * log's own retry finds the events stored, and must tell them from a caller's real duplicates.
 * A caller's first attempt is never reported as a duplicate; each event is stored once, where
 * the caller was told.
 */
export function cutReplyCases(suite: Suite): void {
  suite.test(
    "a caller's first attempt is never reported as a duplicate when the reply of the write is lost",
    ['cutReply'],
    async (t) => {
      await warm(t);
      const id = `${t.prefix}-first`;
      t.armCut();
      const [result] = await t.log.append([{ id, type: t.type('cut'), data: { n: 1 } }]);
      expect(t.cutFired(), 'the reply of the write was lost').toBe(true);
      expect(result).toMatchObject({ id, duplicate: false });
      expect(await stored(t, t.type('cut'))).toEqual([`${id}@${result!.position}`]);
    },
  );

  suite.test(
    'a batch in a stream whose reply is lost is stored once, at the positions and versions told',
    ['cutReply'],
    async (t) => {
      await warm(t);
      const stream = t.name('s');
      const events = [
        { id: `${t.prefix}-a`, type: t.type('cut'), data: { n: 1 } },
        { id: `${t.prefix}-b`, type: t.type('cut'), data: { n: 2 } },
      ];
      t.armCut();
      const results = await t.log.append(events, { stream, expectedVersion: 'no_stream' });
      expect(t.cutFired(), 'the reply of the write was lost').toBe(true);
      expect(results.map((r) => [r.id, r.version, r.duplicate])).toEqual([
        [events[0]!.id, 1, false],
        [events[1]!.id, 2, false],
      ]);
      expect(await stored(t, t.type('cut'))).toEqual(results.map((r) => `${r.id}@${r.position}`));
      expect(await t.log.streamVersion(stream)).toBe(2);
    },
  );

  suite.test(
    'a real duplicate is still reported through a cut, in a batch that mixes both',
    ['cutReply'],
    async (t) => {
      const seen = { id: `${t.prefix}-seen`, type: t.type('mix'), data: {} };
      const fresh = { id: `${t.prefix}-new`, type: t.type('mix'), data: {} };
      const [before] = await t.log.append([seen]);
      t.armCut();
      const results = await t.log.append([seen, fresh, fresh]);
      expect(t.cutFired(), 'the reply of the write was lost').toBe(true);
      expect(results.map((r) => [r.id, r.duplicate])).toEqual([
        [seen.id, true],
        [fresh.id, false],
        [fresh.id, true],
      ]);
      expect(results[0]!.position).toBe(before!.position);
      expect(results[2]!.position).toBe(results[1]!.position);
      expect(await stored(t, t.type('mix'))).toEqual([
        `${seen.id}@${before!.position}`,
        `${fresh.id}@${results[1]!.position}`,
      ]);
    },
  );
}
