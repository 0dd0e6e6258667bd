/**
 * The NATS-style pattern rule the hub applies (src/subject/subject.ts), in a browser-sized copy:
 * at most 255 characters, tokens separated by `.` and none empty, no whitespace or control
 * character, `*` and `>` only as whole tokens, `>` only as the last token. Returns the problem in
 * words, or `undefined` when the pattern is valid.
 */
export function patternError(pattern: string): string | undefined {
  if (pattern === '') return 'Enter a pattern, for example order.> or > for every event.';
  if (pattern.length > 255) return `${pattern.length} characters: the limit is 255.`;
  // eslint-disable-next-line no-control-regex
  const bad = /[\s\u0000-\u001f\u007f-\u009f\ufeff]/.exec(pattern);
  if (bad) return `No spaces or control characters (position ${bad.index + 1}).`;
  const tokens = pattern.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '') return `Token ${i + 1} is empty: no leading, trailing or double dot.`;
    if (token !== '*' && token !== '>' && /[*>]/.test(token))
      return `* and > must be whole tokens ("${token}").`;
    if (token === '>' && i !== tokens.length - 1) return '> may only be the last token.';
  }
  return undefined;
}
