/** The longest normalised error: longer ones are cut and end with `…`. */
export const MAX_NORMALISED_ERROR = 500;
/** Only this much of a message is read (bounds the work on a huge error string). */
const MAX_INPUT = 4_096;

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';

/** The rules, in the order they apply: the first ones take what later ones would split. */
const RULES: readonly [RegExp, string | ((match: string) => string)][] = [
  // ISO 8601 / RFC 3339 dates and date-times, with optional fraction and zone.
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?/gi, '<time>'],
  // RFC 1123 / 2822 (`Tue, 07 Jan 2025 10:21:13 GMT`).
  [
    new RegExp(
      `\\b${DAY},? \\d{1,2} ${MONTH} \\d{4} \\d{2}:\\d{2}(?::\\d{2})?(?: (?:GMT|UTC|[+-]\\d{4}))?`,
      'g',
    ),
    '<time>',
  ],
  // JavaScript's Date#toString (`Tue Jan 07 2025 10:21:13 GMT+0100 (Central European Time)`).
  [
    new RegExp(
      `\\b${DAY} ${MONTH} \\d{2} \\d{4} \\d{2}:\\d{2}:\\d{2}(?: GMT[+-]\\d{4})?(?: \\([^)]{0,64}\\))?`,
      'g',
    ),
    '<time>',
  ],
  // Clock times (`10:21:13`, `10:21:13.004`).
  [/\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g, '<time>'],
  // UUIDs (any version).
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  // E-mail addresses.
  [/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '<email>'],
  // ULIDs (26 Crockford base32 characters, the first 0 to 7).
  [/\b[0-7][0-9A-HJKMNP-TV-Z]{25}\b/gi, '<id>'],
  // Hex ids: 0x..., or 8+ hex digits with at least one digit and one letter (a SHA, an ObjectId).
  [/\b0x[0-9a-f]+\b/gi, '<id>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<id>'],
  // Long tokens: 8+ word characters with letters and digits, either 16+ long or with digits in
  // two or more places (`ch_3MqLiJLkdIwHu7ix`, `ord_8Fk2Lq9Z`); `Float64Array` or `utf8` stay.
  [
    /\b(?=\w*\d)(?=\w*[A-Za-z])\w{8,}\b/g,
    (token) => (token.length >= 16 || /\d\D+\d/.test(token) ? '<id>' : token),
  ],
  // Numbers not glued after a letter (`1234`, `-5`, `1.5s` -> `<n>s`, `order-12`; `utf8` stays).
  [/(?<![A-Za-z0-9])\d+(?:\.\d+)*/g, '<n>'],
  // A list of placeholders (`positions 3, 7, 9`) is one, whatever its length.
  [/<(n|id)>(?:\s*,\s*<\1>)+/g, '<$1>'],
  [/\s+/g, ' '],
];

/**
 * The error message of a dead letter with what varies between occurrences of the same failure
 * replaced by placeholders, so that dead letters can be grouped by it:
 *
 * - dates and times (ISO 8601 / RFC 3339, RFC 1123, `Date#toString`, clock times) become `<time>`;
 * - UUIDs, ULIDs, hex ids (`0x…`, or 8+ hex digits mixing digits and letters) and long tokens
 *   (8+ word characters mixing letters and digits, 16+ long or with digits in two places) `<id>`;
 * - e-mail addresses `<email>`;
 * - numbers not glued after a letter (`1234`, `1.5`, the `1234` of `1234ms`) `<n>`; digits after
 *   letters are kept (`utf8`, `Float64Array`, `v2`);
 * - a comma-separated list of the same placeholder becomes one (`<n>, <n>, <n>` -> `<n>`);
 * - runs of whitespace become one space, and the ends are trimmed.
 *
 * Quoted values are kept (they often name the field or the thing that failed), but what varies
 * inside them is replaced as above. Only the first 4,096 characters are read, and the result is at
 * most 500 characters (a longer one is cut to 499 and ends with `…`). The function is pure and
 * deterministic, and normalising its output again changes nothing.
 *
 * @example
 * ```ts
 * normaliseError('timeout after 1234 ms on order 0193a5c2-7f1e-7c3a-9b2d-5e8f0a1b2c3d');
 * // 'timeout after <n> ms on order <id>'
 * normaliseError('card declined at 2025-01-07T10:21:13.004Z  (attempt 3)');
 * // 'card declined at <time> (attempt <n>)'
 * ```
 */
export function normaliseError(message: string): string {
  let text = message.length > MAX_INPUT ? message.slice(0, MAX_INPUT) : message;
  for (const [pattern, replacement] of RULES) {
    text =
      typeof replacement === 'string'
        ? text.replace(pattern, replacement)
        : text.replace(pattern, replacement);
  }
  text = text.trim();
  return text.length > MAX_NORMALISED_ERROR ? `${text.slice(0, MAX_NORMALISED_ERROR - 1)}…` : text;
}
