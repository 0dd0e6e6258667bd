/**
 * Property-based fuzzing of the subject grammar: `validateType`, `validatePattern`,
 * `matchesPattern` and `SubjectIndex` agree with a small reference model written here from the
 * rules in docs (split on dots, NATS wildcards), on strings built from the characters that matter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../src/errors/herald-error.js';
import { SubjectIndex } from '../../src/subject/subject-index.js';
import {
  isValidPattern,
  isValidType,
  matchesPattern,
  validatePattern,
  validateType,
} from '../../src/subject/subject.js';
import { fuzzParams } from './fuzz-helpers/fuzz-options.js';

// ---- The reference model: obviously correct, slow, and independent of the code under test. ----

const WHITESPACE = new Set([
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x20,
  0x85,
  0xa0,
  0x1680,
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
  0xfeff,
  ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
]);

/** Whether one token (no dots) is made only of allowed characters. */
function modelToken(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (WHITESPACE.has(c)) return false;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = token.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
    if (c === 0x2a || c === 0x3e) return false;
  }
  return token.length > 0;
}

function modelType(s: string): boolean {
  return s.length >= 1 && s.length <= 255 && s.split('.').every(modelToken);
}

function modelPattern(s: string): boolean {
  if (s.length < 1 || s.length > 255) return false;
  const tokens = s.split('.');
  return tokens.every((t, i) => t === '*' || (t === '>' && i === tokens.length - 1) || modelToken(t));
}

function modelMatch(pattern: string, type: string): boolean {
  const p = pattern.split('.');
  const t = type.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

// ---- Generators: few characters, so that valid inputs, matches and near-misses are common. ----

const ODD = [
  'é',
  '\u2028',
  '\u0085',
  '\u00a0',
  '\ud800',
  '\udc00',
  '\ud83d\ude00',
  '\u0000',
  '\u007f',
  ' ',
  '\t',
];
const anyString = fc.oneof(
  fc.array(fc.constantFrom('a', 'b', '.', '*', '>', ...ODD), { maxLength: 10 }).map((c) => c.join('')),
  fc
    .tuple(fc.integer({ min: 250, max: 260 }), fc.constantFrom('a', 'a.', '😀'))
    .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)),
);
const token = fc.constantFrom('a', 'b', 'ab', 'é', '😀');
const type = fc.array(token, { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));
const pattern = fc
  .tuple(fc.array(fc.oneof(token, fc.constant('*')), { minLength: 0, maxLength: 5 }), fc.boolean())
  .filter(([tokens, full]) => tokens.length > 0 || full)
  .map(([tokens, full]) => [...tokens, ...(full ? ['>'] : [])].join('.'));

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('the subject grammar against a reference model', () => {
  it('validateType and isValidType accept exactly the model types; the error is INVALID_TYPE naming a rule', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, type), (s) => {
        const expected = modelType(s);
        expect(isValidType(s)).toBe(expected);
        const error = thrown(() => validateType(s));
        if (expected) expect(error).toBeUndefined();
        else {
          expect(error).toBeInstanceOf(HeraldError);
          expect((error as HeraldError).code).toBe('INVALID_TYPE');
          expect((error as HeraldError).details).toMatchObject({ type: s, rule: expect.any(String) });
        }
      }),
      fuzzParams(5_000),
    );
  });

  it('validatePattern and isValidPattern accept exactly the model patterns', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, pattern), (s) => {
        const expected = modelPattern(s);
        expect(isValidPattern(s)).toBe(expected);
        const error = thrown(() => validatePattern(s));
        if (expected) expect(error).toBeUndefined();
        else expect((error as HeraldError).code).toBe('INVALID_PATTERN');
      }),
      fuzzParams(5_000),
    );
  });

  it('validateType and validatePattern refuse values that are not strings with their code', () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== 'string'),
        (v) => {
          expect((thrown(() => validateType(v as string)) as HeraldError).code).toBe('INVALID_TYPE');
          expect((thrown(() => validatePattern(v as string)) as HeraldError).code).toBe('INVALID_PATTERN');
        },
      ),
      fuzzParams(500),
    );
  });

  it('matchesPattern agrees with the model on every valid pair', () => {
    let matched = 0;
    fc.assert(
      fc.property(pattern, type, (p, t) => {
        const expected = modelMatch(p, t);
        if (expected) matched++;
        expect(matchesPattern(p, t)).toBe(expected);
      }),
      fuzzParams(10_000),
    );
    expect(matched).toBeGreaterThan(500);
  });

  it('SubjectIndex.match returns, after any adds and removes, one value per matching entry', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('add' as const), pattern, value: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ op: fc.constant('remove' as const), pattern, value: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ op: fc.constant('match' as const), type }),
      fc.record({ op: fc.constant('bad' as const), s: anyString }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.constantFrom(0, 2, 1024), (ops, cacheSize) => {
        const index = new SubjectIndex<number>({ cacheSize });
        const entries: { pattern: string; value: number }[] = [];
        const has = (p: string, v: number) => entries.findIndex((e) => e.pattern === p && e.value === v);
        for (const o of ops) {
          if (o.op === 'add') {
            index.add(o.pattern, o.value);
            if (has(o.pattern, o.value) === -1) entries.push({ pattern: o.pattern, value: o.value });
          } else if (o.op === 'remove') {
            const at = has(o.pattern, o.value);
            expect(index.remove(o.pattern, o.value)).toBe(at !== -1);
            if (at !== -1) entries.splice(at, 1);
          } else if (o.op === 'match') {
            const expected = entries.filter((e) => modelMatch(e.pattern, o.type)).map((e) => e.value);
            expect([...index.match(o.type)].sort()).toEqual(expected.sort());
          } else {
            // Invalid input is refused with its code and changes nothing.
            const added = thrown(() => index.add(o.s, 9));
            if (modelPattern(o.s)) {
              expect(added).toBeUndefined();
              if (has(o.s, 9) === -1) entries.push({ pattern: o.s, value: 9 });
            } else expect((added as HeraldError).code).toBe('INVALID_PATTERN');
            if (!modelPattern(o.s)) expect(index.remove(o.s, 9)).toBe(false);
            const matched = thrown(() => index.match(o.s));
            if (modelType(o.s)) {
              const expected = entries.filter((e) => modelMatch(e.pattern, o.s)).map((e) => e.value);
              expect([...(index.match(o.s) as number[])].sort()).toEqual(expected.sort());
            } else expect((matched as HeraldError).code).toBe('INVALID_TYPE');
          }
          expect(index.size).toBe(entries.length);
        }
      }),
      fuzzParams(1_500),
    );
  });
});
