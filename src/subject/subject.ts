import { HeraldError } from '../errors/index.js';

/**
 * Which grammar rule an event type or pattern broke; carried as `details.rule` on the
 * `INVALID_TYPE` / `INVALID_PATTERN` error so callers and tests can branch without parsing text.
 */
export type SubjectRule =
  | 'not-a-string'
  | 'empty'
  | 'too-long'
  | 'empty-token'
  | 'whitespace'
  | 'control-character'
  | 'unpaired-surrogate'
  | 'wildcard-in-type'
  | 'wildcard-in-token'
  | 'full-wildcard-not-last';

/**
 * Longest event type or pattern accepted, in UTF-16 code units. NATS's own limit is far larger;
 * 255 keeps types usable as keys in every backend (SQL indexes, Redis keys, JetStream filters). It
 * applies to patterns too: every wildcard matches at least one character, so a longer pattern could
 * never match a valid type.
 *
 * @example
 * ```ts
 * if (type.length > MAX_SUBJECT_LENGTH) console.warn('type too long');
 * ```
 */
export const MAX_SUBJECT_LENGTH = 255;
const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

interface Violation {
  readonly rule: SubjectRule;
  readonly text: string;
}

const hex = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

// The Unicode White_Space property plus the BOM (what JavaScript's `\s` also treats as space).
function isWhitespace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * One pass over the characters; returns undefined (no allocation) when `s` is valid, so the
 * boolean forms cost no more than the scan.
 */
function findViolation(s: unknown, pattern: boolean): Violation | undefined {
  if (typeof s !== 'string') return { rule: 'not-a-string', text: 'not a string' };
  const n = s.length;
  if (n === 0) return { rule: 'empty', text: 'empty string' };
  if (n > MAX_SUBJECT_LENGTH) {
    return { rule: 'too-long', text: `${n} characters, longer than the limit of ${MAX_SUBJECT_LENGTH}` };
  }
  let tokenStart = 0;
  for (let i = 0; i <= n; i++) {
    // The end of the string closes the last token exactly like a dot does.
    const c = i === n ? DOT : s.charCodeAt(i);
    if (c === DOT) {
      if (i === tokenStart) return { rule: 'empty-token', text: `empty token at position ${i}` };
      tokenStart = i + 1;
    } else if (c > 0x20 && c < 0x7f) {
      if (c !== STAR && c !== GT) continue;
      const wildcard = c === STAR ? '*' : '>';
      if (!pattern) {
        return {
          rule: 'wildcard-in-type',
          text: `wildcard "${wildcard}" at position ${i} (wildcards are only allowed in patterns)`,
        };
      }
      if (i !== tokenStart || (i + 1 < n && s.charCodeAt(i + 1) !== DOT)) {
        return {
          rule: 'wildcard-in-token',
          text: `wildcard "${wildcard}" inside a token at position ${i} (a wildcard must be a whole token)`,
        };
      }
      if (c === GT && i + 1 < n) {
        return { rule: 'full-wildcard-not-last', text: `">" at position ${i} is not the last token` };
      }
    } else if (isWhitespace(c)) {
      return { rule: 'whitespace', text: `whitespace ${hex(c)} at position ${i}` };
    } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      return { rule: 'control-character', text: `control character ${hex(c)} at position ${i}` };
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate cannot be encoded as UTF-8, so the type would change on the wire.
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c >= 0xdc00 || next < 0xdc00 || next > 0xdfff) {
        return { rule: 'unpaired-surrogate', text: `unpaired surrogate ${hex(c)} at position ${i}` };
      }
      i++;
    }
  }
  return undefined;
}

// Messages name the input; a huge input is cut so one bad call cannot flood a log line
// (`details` keeps the whole value).
function quote(s: unknown): string {
  if (typeof s !== 'string') return `(${typeof s})`;
  return s.length > 80 ? `${JSON.stringify(s.slice(0, 80))}…` : JSON.stringify(s);
}

/**
 * Throws unless `type` is a valid event type (a published subject): dot-separated non-empty tokens,
 * at most 255 characters, no whitespace or control characters, no `*` or `>`.
 *
 * @throws HeraldError `INVALID_TYPE`, with `details: { type, rule }`.
 * @example
 * ```ts
 * validateType('io.cloudevents.test'); // ok
 * validateType('orders..created'); // throws: invalid event type "orders..created": empty token at position 7
 * ```
 */
export function validateType(type: string): void {
  const v = findViolation(type, false);
  if (v !== undefined) {
    throw new HeraldError('INVALID_TYPE', `invalid event type ${quote(type)}: ${v.text}`, {
      details: { type, rule: v.rule },
    });
  }
}

/**
 * Throws unless `pattern` is a valid subscription pattern: the event type grammar, plus `*` as a
 * whole token (exactly one token) and `>` as a whole last token (one or more remaining tokens).
 *
 * @throws HeraldError `INVALID_PATTERN`, with `details: { pattern, rule }`.
 * @example
 * ```ts
 * validatePattern('orders.*.created'); // ok
 * validatePattern('orders.>.created'); // throws: ... ">" at position 7 is not the last token
 * ```
 */
export function validatePattern(pattern: string): void {
  const v = findViolation(pattern, true);
  if (v !== undefined) {
    throw new HeraldError('INVALID_PATTERN', `invalid pattern ${quote(pattern)}: ${v.text}`, {
      details: { pattern, rule: v.rule },
    });
  }
}

/**
 * Whether `s` is a valid event type (see {@link validateType}); never throws.
 *
 * @example
 * ```ts
 * isValidType('com.example/v1'); // true
 * isValidType('orders.*'); // false: wildcards are for patterns
 * ```
 */
export function isValidType(s: string): boolean {
  return findViolation(s, false) === undefined;
}

/**
 * Whether `s` is a valid pattern (see {@link validatePattern}); never throws.
 *
 * @example
 * ```ts
 * isValidPattern('orders.>'); // true
 * isValidPattern('orders*'); // false: a wildcard must be a whole token
 * ```
 */
export function isValidPattern(s: string): boolean {
  return findViolation(s, true) === undefined;
}

/**
 * What is wrong with `pattern` in words (the text of {@link validatePattern}'s message), or
 * `undefined` when it is valid; never throws. For forms that check as the user types.
 *
 * @example
 * ```ts
 * patternProblem('orders.>.x'); // '">" at position 7 is not the last token'
 * patternProblem('orders.>'); // undefined
 * ```
 */
export function patternProblem(pattern: string): string | undefined {
  return findViolation(pattern, true)?.text;
}

/**
 * Whether `pattern` matches `type` under NATS rules: `*` matches exactly one token, `>` one or more
 * trailing tokens (so `orders.>` does not match `orders`). Compares in place, without splitting.
 * Both arguments must already be valid; the result for invalid input is unspecified.
 *
 * @example
 * ```ts
 * matchesPattern('orders.*', 'orders.created'); // true
 * matchesPattern('orders.>', 'orders'); // false
 * ```
 */
export function matchesPattern(pattern: string, type: string): boolean {
  const pn = pattern.length;
  const tn = type.length;
  let p = 0;
  let t = 0;
  // Invariant at the top of the loop: p and t are at the start of a token (or t at the end).
  while (p < pn) {
    if (t >= tn) return false;
    const c = pattern.charCodeAt(p);
    // In a valid pattern a token starting with a wildcard is that wildcard alone, and `>` is last.
    if (c === GT) return true;
    if (c === STAR) {
      const dot = type.indexOf('.', t);
      t = dot === -1 ? tn : dot;
      p++;
    } else {
      for (; p < pn; p++, t++) {
        const pc = pattern.charCodeAt(p);
        if (pc === DOT) break;
        if (t >= tn || type.charCodeAt(t) !== pc) return false;
      }
      if (t < tn && type.charCodeAt(t) !== DOT) return false;
    }
    if (p === pn) return t === tn;
    if (t >= tn) return false;
    p++;
    t++;
  }
  return t === tn;
}
