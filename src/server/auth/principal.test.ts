import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../subject/subject.js';
import { seededRandom } from '../../testing/seeded-random.js';
import { patternCovers, principal, readPatterns } from './principal.js';

describe('patternCovers', () => {
  it.each([
    ['>', 'a', true],
    ['>', '>', true],
    ['orders.>', 'orders.*', true],
    ['orders.>', 'orders.a.b', true],
    ['orders.>', 'orders', false],
    ['orders.*', 'orders.>', false],
    ['orders.*', 'orders.*', true],
    ['orders.*', 'orders.created', true],
    ['orders.*', 'orders.created.x', false],
    ['*.created', 'orders.created', true],
    ['*.created', '*.*', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
  ])('%s covers %s: %s', (grant, pattern, expected) => {
    expect(patternCovers(grant, pattern)).toBe(expected);
  });

  it('never says covered when a subject of the pattern falls outside the grant (random check)', () => {
    const random = seededRandom(7);
    const token = () => ['a', 'b', '*', '>'][Math.floor(random() * 4)]!;
    const literal = () => ['a', 'b', 'c'][Math.floor(random() * 3)]!;
    const pattern = () => {
      const n = 1 + Math.floor(random() * 3);
      const tokens = Array.from({ length: n }, token);
      const cut = tokens.indexOf('>');
      return (cut >= 0 ? tokens.slice(0, cut + 1) : tokens).join('.');
    };
    let covered = 0;
    for (let i = 0; i < 3_000; i++) {
      const grant = pattern();
      const requested = pattern();
      if (!patternCovers(grant, requested)) continue;
      covered++;
      for (let j = 0; j < 20; j++) {
        // A concrete subject the requested pattern matches.
        const subject = requested
          .split('.')
          .flatMap((t) =>
            t === '*'
              ? [literal()]
              : t === '>'
                ? Array.from({ length: 1 + Math.floor(random() * 2) }, literal)
                : [t],
          )
          .join('.');
        expect(matchesPattern(requested, subject)).toBe(true);
        expect(matchesPattern(grant, subject)).toBe(true);
      }
    }
    expect(covered).toBeGreaterThan(100);
  });
});

describe('principal', () => {
  it('reads with its own grants when no types are asked for, and refuses patterns outside them', () => {
    const p = principal({ id: 'shop', subscribe: ['orders.>'] });
    expect(readPatterns(p, undefined)).toEqual(['orders.>']);
    expect(readPatterns(p, ['orders.created'])).toEqual(['orders.created']);
    expect(() => readPatterns(p, ['payments.>'])).toThrow(/may not read "payments.>"/);
    expect(readPatterns(principal({ id: 'admin', admin: true }), undefined)).toBeUndefined();
  });
});
