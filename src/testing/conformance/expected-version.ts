import { expect } from 'vitest';
import { ConcurrencyError } from '../../errors/index.js';
import type { ExpectedVersion } from '../../log/types.js';
import { caught } from './helpers.js';
import type { Suite } from './suite.js';

interface Row {
  /** The stream's version before the append (0: no stream). */
  readonly version: 0 | 2;
  readonly expected: ExpectedVersion;
  readonly ok: boolean;
}

// Every mode against both stream states, plus the numbers around the current version.
const TABLE: readonly Row[] = [
  { version: 0, expected: 'any', ok: true },
  { version: 0, expected: 'no_stream', ok: true },
  { version: 0, expected: 0, ok: true },
  { version: 0, expected: 'stream_exists', ok: false },
  { version: 0, expected: 1, ok: false },
  { version: 2, expected: 'any', ok: true },
  { version: 2, expected: 'stream_exists', ok: true },
  { version: 2, expected: 2, ok: true },
  { version: 2, expected: 'no_stream', ok: false },
  { version: 2, expected: 0, ok: false },
  { version: 2, expected: 1, ok: false },
  { version: 2, expected: 3, ok: false },
];

/** The optimistic concurrency check of `append`. */
export function expectedVersionCases(suite: Suite): void {
  for (const { version, expected, ok } of TABLE) {
    const state = version === 0 ? 'no stream' : `a stream at version ${version}`;
    const outcome = ok ? 'appends' : `fails with ConcurrencyError (actual ${version})`;
    suite.test(`expectedVersion ${JSON.stringify(expected)} on ${state} ${outcome}`, [], async (t) => {
      const stream = t.name('s');
      const type = t.type('step');
      if (version > 0) await t.log.append([{ type }, { type }], { stream });
      const event = { id: `${t.prefix}-new`, type };
      if (ok) {
        const [result] = await t.log.append([event], { stream, expectedVersion: expected });
        expect(result).toMatchObject({ stream, version: version + 1, duplicate: false });
        expect(await t.log.streamVersion(stream)).toBe(version + 1);
      } else {
        const err = await caught(() => t.log.append([event], { stream, expectedVersion: expected }));
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ code: 'CONCURRENCY_CONFLICT', stream, expected, actual: version });
        expect(await t.log.streamVersion(stream)).toBe(version);
        expect(await t.log.get(event.id)).toBeUndefined();
      }
    });
  }

  suite.test(
    'refuses an expectedVersion that is neither a mode nor a version (INVALID_OPTION)',
    [],
    async (t) => {
      const stream = t.name('s');
      for (const bad of [-1, 1.5, 'latest']) {
        const err = await caught(() =>
          t.log.append([{ type: t.type('x') }], { stream, expectedVersion: bad as ExpectedVersion }),
        );
        expect(err, String(bad)).toMatchObject({ code: 'INVALID_OPTION' });
      }
      expect(await t.log.streamVersion(stream)).toBe(0);
    },
  );

  suite.test('of appenders racing with the same expectedVersion exactly one wins', [], async (t) => {
    const stream = t.name('s');
    const type = t.type('step');
    await t.log.append([{ type }], { stream });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => t.log.append([{ type }, { type }], { stream, expectedVersion: 1 })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected')
        expect(o.reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT', actual: 3 });
    }
    expect(await t.log.streamVersion(stream)).toBe(3);
  });
}
