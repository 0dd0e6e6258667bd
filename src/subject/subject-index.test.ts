import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/index.js';
import { SubjectIndex, matchesPattern } from './index.js';
import { seededRandom } from '../testing/seeded-random.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof HeraldError) return err.code;
    throw err;
  }
  return 'nothing thrown';
}

/** Match results come in no promised order: compare them as multisets. */
const sorted = <T>(xs: readonly T[]): T[] => [...xs].sort();

describe('SubjectIndex matching', () => {
  it('returns the value of a pattern equal to the type', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.created', 'h');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['h']));
    expect(sorted(index.match('orders.updated'))).toEqual(sorted([]));
  });

  it('matches `*` against exactly one token', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*.created', 'h');
    expect(sorted(index.match('orders.eu.created'))).toEqual(sorted(['h']));
    expect(sorted(index.match('orders.created'))).toEqual(sorted([]));
    expect(sorted(index.match('orders.eu.west.created'))).toEqual(sorted([]));
  });

  it('matches `>` against one or more trailing tokens', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.>', 'h');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['h']));
    expect(sorted(index.match('orders.eu.west.created'))).toEqual(sorted(['h']));
  });

  it('does not match `orders.>` against `orders`', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.>', 'h');
    expect(sorted(index.match('orders'))).toEqual(sorted([]));
  });

  it('matches `>` alone against every type', () => {
    const index = new SubjectIndex<string>();
    index.add('>', 'all');
    expect(sorted(index.match('a'))).toEqual(sorted(['all']));
    expect(sorted(index.match('a.b.c'))).toEqual(sorted(['all']));
  });

  it('returns the values of every matching pattern', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.>', 'first');
    index.add('payments.*', 'other');
    index.add('orders.created', 'second');
    index.add('*.created', 'third');
    index.add('orders.*', 'fourth');
    expect([...index.match('orders.created')].sort()).toEqual(['first', 'fourth', 'second', 'third']);
    expect([...index.match('payments.created')].sort()).toEqual(['other', 'third']);
  });

  it('returns every value when patterns with many values interleave', () => {
    const index = new SubjectIndex<number>({ cacheSize: 0 });
    const patterns = ['a.>', 'a.*', 'a.b', '*.b', '>', 'x.y'];
    for (let i = 0; i < 300; i++) index.add(patterns[i % patterns.length]!, i);
    const expected = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % patterns.length !== 5);
    expect([...index.match('a.b')].sort((x, y) => x - y)).toEqual(expected);
  });

  it('returns a value added under two matching patterns once per pattern', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*', 'h');
    index.add('orders.>', 'h');
    index.add('payments.*', 'h');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['h', 'h']));
    expect(sorted(index.match('orders.eu.created'))).toEqual(sorted(['h']));
    expect(index.size).toBe(3);
  });

  it('compares values by identity', () => {
    const index = new SubjectIndex<{ name: string }>();
    const a = { name: 'h' };
    const b = { name: 'h' };
    index.add('x', a);
    index.add('x', b);
    expect(sorted(index.match('x'))).toEqual(sorted([a, b]));
    expect(index.remove('x', { name: 'h' })).toBe(false);
    expect(index.remove('x', a)).toBe(true);
    expect(index.match('x')[0]).toBe(b);
  });

  it('ignores a (pattern, value) pair added twice', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*', 'h');
    index.add('orders.*', 'h');
    expect(index.size).toBe(1);
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['h']));
  });

  it('accepts non-ASCII types and patterns', () => {
    const index = new SubjectIndex<string>();
    index.add('événements.*', 'fr');
    index.add('😀.>', 'emoji');
    expect(sorted(index.match('événements.créé'))).toEqual(sorted(['fr']));
    expect(sorted(index.match('😀.a.b'))).toEqual(sorted(['emoji']));
  });
});

describe('SubjectIndex validation', () => {
  it('rejects an invalid pattern on add with INVALID_PATTERN', () => {
    const index = new SubjectIndex<string>();
    for (const pattern of ['', 'a..b', 'a*', 'a.>.b', 'a b']) {
      expect(codeOf(() => index.add(pattern, 'h'))).toBe('INVALID_PATTERN');
    }
    expect(index.size).toBe(0);
  });

  it('rejects an invalid type on match with INVALID_TYPE, every time', () => {
    const index = new SubjectIndex<string>();
    index.add('>', 'h');
    const invalid = [
      '',
      'a..b',
      '.a',
      'a.',
      'a.*',
      'a.>',
      'a b',
      'a\u00a0b',
      'a\u0000',
      'a\ud800',
      'x'.repeat(256),
    ];
    // After a non-ASCII character (which defers to the full check), later faults must still count.
    invalid.push('é.*', 'é.a b', 'é..a', 'é.a.');
    for (const type of invalid) {
      const label = JSON.stringify(type);
      expect(
        codeOf(() => index.match(type)),
        label,
      ).toBe('INVALID_TYPE');
      expect(
        codeOf(() => index.match(type)),
        label,
      ).toBe('INVALID_TYPE');
    }
    expect(codeOf(() => index.match(undefined as unknown as string))).toBe('INVALID_TYPE');
  });

  it('returns false when removing a pattern that is invalid or was never added', () => {
    const index = new SubjectIndex<string>();
    index.add('a.b', 'h');
    expect(index.remove('a..b', 'h')).toBe(false);
    expect(index.remove('a.>.b', 'h')).toBe(false);
    expect(index.remove('a.c', 'h')).toBe(false);
    expect(index.remove('a.b.c', 'h')).toBe(false);
    expect(index.remove('a.b', 'other')).toBe(false);
    expect(index.size).toBe(1);
  });

  it('rejects a cache size that is not a non-negative integer', () => {
    for (const cacheSize of [-1, 1.5, Number.NaN, Infinity]) {
      expect(codeOf(() => new SubjectIndex({ cacheSize }))).toBe('INVALID_OPTION');
    }
  });
});

describe('SubjectIndex removal', () => {
  it('stops returning a value once it is removed', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*', 'a');
    index.add('orders.*', 'b');
    expect(index.remove('orders.*', 'a')).toBe(true);
    expect(index.remove('orders.*', 'a')).toBe(false);
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['b']));
    expect(index.size).toBe(1);
  });

  it('removes only the entry of the given pattern when a value is under several', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*', 'h');
    index.add('orders.>', 'h');
    index.remove('orders.>', 'h');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['h']));
    expect(sorted(index.match('orders.eu.created'))).toEqual(sorted([]));
  });

  it('puts a removed and re-added value last', () => {
    const index = new SubjectIndex<string>();
    index.add('a', 'x');
    index.add('a', 'y');
    index.remove('a', 'x');
    index.add('a', 'x');
    expect(sorted(index.match('a'))).toEqual(sorted(['y', 'x']));
  });

  it('comes back to empty after heavy churn and still matches correctly', () => {
    const index = new SubjectIndex<number>({ cacheSize: 64 });
    const random = seededRandom(7);
    const entries: [string, number][] = [];
    for (let i = 0; i < 5000; i++) {
      const pattern = randomPattern(random);
      index.add(pattern, i);
      entries.push([pattern, i]);
      if (i % 7 === 0) index.match(randomType(random));
    }
    expect(index.size).toBe(5000);
    for (const [pattern, value] of entries) expect(index.remove(pattern, value)).toBe(true);
    expect(index.size).toBe(0);
    for (let i = 0; i < 200; i++) expect(index.match(randomType(random))).toEqual([]);
    index.add('a.*', 1);
    index.add('a.>', 2);
    expect(sorted(index.match('a.b'))).toEqual(sorted([1, 2]));
    expect(sorted(index.match('a.b.c'))).toEqual(sorted([2]));
    expect(sorted(index.match('b.a'))).toEqual(sorted([]));
  });

  it('empties the index and its cache on clear', () => {
    const index = new SubjectIndex<string>();
    index.add('a.*', 'h');
    expect(sorted(index.match('a.b'))).toEqual(sorted(['h']));
    index.clear();
    expect(index.size).toBe(0);
    expect(sorted(index.match('a.b'))).toEqual(sorted([]));
    index.add('a.b', 'k');
    expect(sorted(index.match('a.b'))).toEqual(sorted(['k']));
  });
});

describe('SubjectIndex cache', () => {
  it('includes a value added after the type was cached', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*', 'a');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['a']));
    index.add('orders.>', 'b');
    index.add('*.created', 'c');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['a', 'b', 'c']));
  });

  it('includes a value added after an empty result was cached', () => {
    const index = new SubjectIndex<string>();
    expect(sorted(index.match('orders.created'))).toEqual(sorted([]));
    index.add('orders.created', 'a');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['a']));
  });

  it('drops a value removed after the type was cached', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*', 'a');
    index.add('orders.>', 'b');
    index.add('orders.>', 'a');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['a', 'b', 'a']));
    index.remove('orders.*', 'a');
    expect(sorted(index.match('orders.created'))).toEqual(sorted(['b', 'a']));
    index.remove('orders.>', 'b');
    index.remove('orders.>', 'a');
    expect(sorted(index.match('orders.created'))).toEqual(sorted([]));
  });

  it('keeps serving the same cached array for types a change does not affect', () => {
    const index = new SubjectIndex<string>();
    index.add('orders.*', 'a');
    index.add('orders.>', 'b');
    const cached = index.match('orders.created');
    index.add('payments.*', 'c');
    index.remove('payments.*', 'c');
    expect(index.match('orders.created')).toBe(cached);
  });

  it('never changes an array it already returned', () => {
    const index = new SubjectIndex<string>();
    index.add('a.*', 'x');
    index.add('a.>', 'y');
    const before = index.match('a.b');
    const snapshot = [...before];
    index.add('a.b', 'z');
    index.remove('a.*', 'x');
    expect(before).toEqual(snapshot);
    expect(sorted(index.match('a.b'))).toEqual(sorted(['y', 'z']));
  });

  it('holds at most cacheSize types, evicting the oldest first', () => {
    const index = new SubjectIndex<string>({ cacheSize: 2 });
    // Two matching patterns: a miss builds a new array, a hit returns the cached one.
    index.add('t.*', 'x');
    index.add('t.>', 'y');
    const first = index.match('t.1');
    expect(index.match('t.1')).toBe(first);
    index.match('t.2');
    expect(index.match('t.1')).toBe(first);
    index.match('t.3');
    const again = index.match('t.1');
    expect(again).not.toBe(first);
    expect(sorted(again)).toEqual(['x', 'y']);
  });

  it('caches nothing with cacheSize 0', () => {
    const index = new SubjectIndex<string>({ cacheSize: 0 });
    index.add('t.*', 'x');
    index.add('t.>', 'y');
    expect(index.match('t.1')).not.toBe(index.match('t.1'));
    expect(sorted(index.match('t.1'))).toEqual(sorted(['x', 'y']));
  });

  it('stays correct for adds and removes after many distinct matches', () => {
    const index = new SubjectIndex<string>({ cacheSize: 100 });
    index.add('n.*', 'x');
    for (let i = 0; i < 10_000; i++) index.match(`n.${i}`);
    index.add('n.>', 'y');
    index.remove('n.*', 'x');
    expect(sorted(index.match('n.9999'))).toEqual(sorted(['y']));
    expect(sorted(index.match('n.0'))).toEqual(sorted(['y']));
    expect(sorted(index.match('n.5000.x'))).toEqual(sorted(['y']));
  });
});

describe('SubjectIndex adaptive cache', () => {
  it('stops filling a full cache that few lookups hit, and fills it again once types repeat', () => {
    const index = new SubjectIndex<string>({ cacheSize: 8 });
    index.add('x.*', 'star');
    index.add('x.>', 'rest');
    // Three windows of lookups, nearly all distinct: the cache is full and rarely hit.
    for (let i = 0; i < 3 * 4096; i++) index.match(`x.${i}`);
    // Paused: a miss is answered from the trie and not kept (a new array each time) ...
    const a = index.match('x.repeat');
    expect(index.match('x.repeat')).not.toBe(a);
    expect(sorted(a)).toEqual(['rest', 'star']);
    // ... and changes still reach what the cache holds and what it does not.
    index.add('x.repeat', 'exact');
    expect(sorted(index.match('x.repeat'))).toEqual(['exact', 'rest', 'star']);
    expect(sorted(index.match(`x.${3 * 4096 - 1}`))).toEqual(['rest', 'star']);
    // The same few types for long enough: a probe fills the cache, hits pay, filling stays on.
    for (let i = 0; i < 40 * 4096; i++) index.match(`x.${i % 4}`);
    const b = index.match('x.repeat');
    expect(index.match('x.repeat')).toBe(b);
    expect(sorted(b)).toEqual(['exact', 'rest', 'star']);
    index.remove('x.*', 'star');
    expect(sorted(index.match('x.repeat'))).toEqual(['exact', 'rest']);
    expect(sorted(index.match('x.1'))).toEqual(['rest']);
  });
});

describe('SubjectIndex against brute force', () => {
  it.each([0, 8, 1024])(
    'returns what filtering every entry with matchesPattern returns, under random churn (cacheSize %i)',
    (cacheSize) => {
      const random = seededRandom(1000 + cacheSize);
      const index = new SubjectIndex<number>({ cacheSize });
      // The model: live (pattern, value) entries; results are compared as multisets.
      let model: { pattern: string; value: number }[] = [];
      const types = Array.from({ length: 40 }, () => randomType(random));
      let nonEmpty = 0;
      for (let step = 0; step < 4000; step++) {
        const r = random();
        if (r < 0.3) {
          const pattern = randomPattern(random);
          const value = Math.floor(random() * 20);
          index.add(pattern, value);
          if (!model.some((e) => e.pattern === pattern && e.value === value)) model.push({ pattern, value });
        } else if (r < 0.45 && model.length > 0) {
          const victim = model[Math.floor(random() * model.length)]!;
          expect(index.remove(victim.pattern, victim.value)).toBe(true);
          model = model.filter((e) => e !== victim);
        } else {
          const type = types[Math.floor(random() * types.length)]!;
          const expected = model.filter((e) => matchesPattern(e.pattern, type)).map((e) => e.value);
          const byValue = (x: number, y: number): number => x - y;
          expect([...index.match(type)].sort(byValue), `step ${step}: ${type}`).toEqual(
            expected.sort(byValue),
          );
          if (expected.length > 0) nonEmpty++;
        }
        expect(index.size).toBe(model.length);
      }
      expect(nonEmpty).toBeGreaterThan(500);
    },
  );
});

const ALPHABET = ['a', 'b', 'c', 'ab'];

function randomType(random: () => number): string {
  return Array.from(
    { length: 1 + Math.floor(random() * 4) },
    () => ALPHABET[Math.floor(random() * ALPHABET.length)]!,
  ).join('.');
}

function randomPattern(random: () => number): string {
  const tokens = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
    random() < 0.3 ? '*' : ALPHABET[Math.floor(random() * ALPHABET.length)]!,
  );
  if (random() < 0.2) tokens.push('>');
  return tokens.join('.');
}
