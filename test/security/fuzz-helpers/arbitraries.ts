import fc from 'fast-check';

/**
 * Characters that break parsers and framings: line ends of every kind, NUL and other controls,
 * the Unicode line and paragraph separators, lone surrogate halves, a BOM, noncharacters, and
 * text that reads as an SSE field or a percent escape.
 */
export const NASTY_PIECES: readonly string[] = [
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\uffff',
  '\n\ndata: x',
  '\nevent: evil',
  '\nid: 999',
  ':comment',
  'retry: 0',
  '%',
  '%E0%A4%A',
  '%0D%0A',
  '"',
  '\\',
  '{',
  ']',
  '.',
  '*',
  '>',
  ' ',
  '😀',
];

/**
 * Strings of arbitrary code points mixed with the pieces above (lone surrogates included, which
 * `fc.string({ unit: 'binary' })` never makes).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(nastyString(), (s) => parse(s) !== undefined));
 * ```
 */
export function nastyString(maxLength = 12): fc.Arbitrary<string> {
  const unit = fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 3, arbitrary: fc.constantFrom(...NASTY_PIECES) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }) },
  );
  return fc.array(unit, { maxLength }).map((parts) => parts.join(''));
}

/**
 * Any JSON-compatible value whose strings and keys are nasty, nested a few levels.
 *
 * @example
 * ```ts
 * fc.sample(nastyJson(), 1);
 * ```
 */
export function nastyJson(): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(
        null,
        true,
        false,
        0,
        -1,
        1.5,
        2 ** 31,
        -(2 ** 31) - 1,
        Number.MAX_SAFE_INTEGER + 2,
        1e308,
      ),
      nastyString(),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(nastyString(6), tie('value'), { maxKeys: 4 }),
    ),
  })).value;
}

/**
 * Arrays and objects nested `depth` levels, as JSON text (parsing it is iterative, so any depth).
 *
 * @example
 * ```ts
 * nestedJson(3, 'array'); // '[[[]]]'
 * ```
 */
export function nestedJson(depth: number, kind: 'array' | 'object' | 'mixed'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const array = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    open += array ? '[' : '{"k":';
    close = (array ? ']' : '}') + close;
  }
  return `${open}${kind === 'array' && depth > 0 ? '' : '0'}${close}`;
}
