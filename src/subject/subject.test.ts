import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/index.js';
import { isValidPattern, isValidType, matchesPattern, validatePattern, validateType } from './index.js';
import { seededRandom } from '../testing/seeded-random.js';

function thrown(fn: () => void): HeraldError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HeraldError) return err;
    throw err;
  }
  throw new Error('expected a HeraldError, nothing was thrown');
}

const validTypes = [
  'a',
  'orders.created',
  'io.cloudevents.test',
  'com.example/v1',
  'com.github.pull_request.opened',
  'a-b_c.d:e.f@g.h#i.$j.~k',
  'ünïcödé.événement',
  '😀.smile',
  'a'.repeat(255),
  'x.'.repeat(127) + 'x',
];

// [input, rule, text the message must contain]
const invalidTypes: [string, string, string][] = [
  ['', 'empty', 'empty string'],
  ['a..b', 'empty-token', 'empty token at position 2'],
  ['.a', 'empty-token', 'empty token at position 0'],
  ['a.', 'empty-token', 'empty token at position 2'],
  ['.', 'empty-token', 'empty token at position 0'],
  ['a b', 'whitespace', 'whitespace U+0020 at position 1'],
  ['a\tb', 'whitespace', 'whitespace U+0009 at position 1'],
  ['a.b\n', 'whitespace', 'whitespace U+000A at position 3'],
  ['a\u00a0b', 'whitespace', 'whitespace U+00A0 at position 1'],
  ['a\u2003b', 'whitespace', 'whitespace U+2003 at position 1'],
  ['a\u3000b', 'whitespace', 'whitespace U+3000'],
  ['\ufeffa', 'whitespace', 'whitespace U+FEFF at position 0'],
  ['a\u0000b', 'control-character', 'control character U+0000 at position 1'],
  ['a\u0007', 'control-character', 'control character U+0007 at position 1'],
  ['a\u007f', 'control-character', 'control character U+007F'],
  ['a\u009b', 'control-character', 'control character U+009B'],
  ['a\ud800b', 'unpaired-surrogate', 'unpaired surrogate U+D800 at position 1'],
  ['a\udc00', 'unpaired-surrogate', 'unpaired surrogate U+DC00 at position 1'],
  ['orders.*', 'wildcard-in-type', 'wildcard "*" at position 7'],
  ['*', 'wildcard-in-type', 'wildcard "*" at position 0'],
  ['orders.>', 'wildcard-in-type', 'wildcard ">" at position 7'],
  ['a*', 'wildcard-in-type', 'wildcard "*" at position 1'],
  ['or>ders', 'wildcard-in-type', 'wildcard ">" at position 2'],
  ['a'.repeat(256), 'too-long', '256 characters, longer than the limit of 255'],
];

const validPatterns = [
  'a',
  '*',
  '>',
  'orders.*',
  'orders.>',
  '*.*.>',
  'orders.*.created',
  'io.cloudevents.*',
  'com.example/v1.>',
  '😀.*',
  '*.'.repeat(127) + '>',
];

const invalidPatterns: [string, string, string][] = [
  ['', 'empty', 'empty string'],
  ['a..*', 'empty-token', 'empty token at position 2'],
  ['*.', 'empty-token', 'empty token at position 2'],
  ['.>', 'empty-token', 'empty token at position 0'],
  ['a*', 'wildcard-in-token', 'wildcard "*" inside a token at position 1'],
  ['*a', 'wildcard-in-token', 'wildcard "*" inside a token at position 0'],
  ['a.b*c', 'wildcard-in-token', 'wildcard "*" inside a token at position 3'],
  ['**', 'wildcard-in-token', 'inside a token at position 0'],
  ['or>ders', 'wildcard-in-token', 'wildcard ">" inside a token at position 2'],
  ['>a', 'wildcard-in-token', 'wildcard ">" inside a token at position 0'],
  ['a.>>', 'wildcard-in-token', 'inside a token at position 2'],
  ['a.>.b', 'full-wildcard-not-last', '">" at position 2 is not the last token'],
  ['>.*', 'full-wildcard-not-last', '">" at position 0 is not the last token'],
  ['a. *', 'whitespace', 'whitespace U+0020 at position 2'],
  ['a.*\u0001', 'wildcard-in-token', 'inside a token at position 2'],
  ['a\u0001.*', 'control-character', 'control character U+0001 at position 1'],
  ['a\ud83d.*', 'unpaired-surrogate', 'unpaired surrogate U+D83D at position 1'],
  ['*.'.repeat(128), 'too-long', '256 characters, longer than the limit of 255'],
];

describe('validateType', () => {
  it.each(validTypes)('accepts the event type %j', (type) => {
    expect(() => validateType(type)).not.toThrow();
    expect(isValidType(type)).toBe(true);
  });

  it.each(invalidTypes)('rejects %j, breaking rule %s', (type, rule, text) => {
    const err = thrown(() => validateType(type));
    expect(err.code).toBe('INVALID_TYPE');
    expect(err.details).toEqual({ type, rule });
    expect(err.message).toContain(text);
    expect(isValidType(type)).toBe(false);
  });

  it('names the input and the rule broken in the message', () => {
    expect(thrown(() => validateType('a..b')).message).toBe(
      'invalid event type "a..b": empty token at position 2',
    );
  });

  it('escapes control characters when naming the input', () => {
    expect(thrown(() => validateType('a\nb')).message).toBe(
      'invalid event type "a\\nb": whitespace U+000A at position 1',
    );
  });

  it('cuts a very long input in the message but keeps all of it in the details', () => {
    const type = 'x'.repeat(1000);
    const err = thrown(() => validateType(type));
    expect(err.message.length).toBeLessThan(200);
    expect(err.message).toContain('1000 characters');
    expect(err.details['type']).toBe(type);
  });

  it('rejects a value that is not a string with INVALID_TYPE rather than a TypeError', () => {
    const err = thrown(() => validateType(42 as unknown as string));
    expect(err.code).toBe('INVALID_TYPE');
    expect(err.details['rule']).toBe('not-a-string');
    expect(isValidType(undefined as unknown as string)).toBe(false);
  });
});

describe('validatePattern', () => {
  it.each([...validTypes, ...validPatterns])('accepts the pattern %j', (pattern) => {
    expect(() => validatePattern(pattern)).not.toThrow();
    expect(isValidPattern(pattern)).toBe(true);
  });

  it.each(invalidPatterns)('rejects %j, breaking rule %s', (pattern, rule, text) => {
    const err = thrown(() => validatePattern(pattern));
    expect(err.code).toBe('INVALID_PATTERN');
    expect(err.details).toEqual({ pattern, rule });
    expect(err.message).toContain(text);
    expect(isValidPattern(pattern)).toBe(false);
  });

  it('names the input and the rule broken in the message', () => {
    expect(thrown(() => validatePattern('orders.>.created')).message).toBe(
      'invalid pattern "orders.>.created": ">" at position 7 is not the last token',
    );
  });

  it('applies the event type rules to the tokens of a pattern', () => {
    for (const [type, rule] of invalidTypes) {
      if (rule === 'wildcard-in-type') continue;
      expect(thrown(() => validatePattern(type)).details['rule']).toBe(rule);
    }
  });
});

describe('matchesPattern', () => {
  const cases: [string, string, boolean][] = [
    ['orders.created', 'orders.created', true],
    ['orders.created', 'orders.updated', false],
    ['orders.*', 'orders.created', true],
    ['orders.*', 'orders', false],
    ['orders.*', 'orders.eu.created', false],
    ['*.created', 'orders.created', true],
    ['*.created', 'orders.updated', false],
    ['*', 'orders', true],
    ['*', 'orders.created', false],
    ['*.*', 'orders', false],
    ['orders.>', 'orders.created', true],
    ['orders.>', 'orders.eu.created', true],
    ['orders.>', 'orders', false],
    ['orders.>', 'payments.created', false],
    ['>', 'orders', true],
    ['>', 'orders.eu.created', true],
    ['*.>', 'orders', false],
    ['*.>', 'orders.created', true],
    ['orders.*.>', 'orders.eu', false],
    ['orders.*.>', 'orders.eu.created', true],
    ['time.us.*', 'time.us.east.atlanta', false],
    ['time.*.east', 'time.eu.east', true],
    // Token boundaries: a prefix of a token is not the token.
    ['ab', 'abc', false],
    ['abc', 'ab', false],
    ['a.b', 'a.bc', false],
    ['a.bc', 'a.b', false],
    ['a', 'a.b', false],
    ['a.b', 'a', false],
    ['a.*', 'ab.c', false],
    ['com.example/v1.*', 'com.example/v1.created', true],
    ['😀.*', '😀.x', true],
  ];

  it.each(cases)('matches pattern %j against type %j: %s', (pattern, type, expected) => {
    expect(matchesPattern(pattern, type)).toBe(expected);
  });

  it('agrees with a regular-expression reference on random patterns and types (seeded)', () => {
    const random = seededRandom(20240601);
    const alphabet = ['a', 'b', 'ab', 'ba', 'c'];
    const token = (): string => alphabet[Math.floor(random() * alphabet.length)]!;
    const reference = (pattern: string): RegExp =>
      new RegExp(
        `^${pattern
          .split('.')
          .map((t) => (t === '*' ? '[^.]+' : t === '>' ? '[^.]+(?:\\.[^.]+)*' : t))
          .join('\\.')}$`,
      );
    let matched = 0;
    for (let i = 0; i < 3000; i++) {
      const patternTokens = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const r = random();
        return r < 0.25 ? '*' : token();
      });
      if (random() < 0.25) patternTokens.push('>');
      const pattern = patternTokens.join('.');
      const type = Array.from({ length: 1 + Math.floor(random() * 5) }, token).join('.');
      expect(isValidPattern(pattern)).toBe(true);
      const expected = reference(pattern).test(type);
      expect(matchesPattern(pattern, type), `${pattern} vs ${type}`).toBe(expected);
      if (expected) matched++;
    }
    // The generator must exercise both outcomes to mean anything.
    expect(matched).toBeGreaterThan(100);
    expect(matched).toBeLessThan(2900);
  });
});
