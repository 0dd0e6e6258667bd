// RFC 2045 / RFC 9110 media type: token "/" token *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ).
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x20-\\x7e\\x80-\\xff])*"';
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED}))?)*$`);

/**
 * Whether `value` is an RFC 2046 media type (`type/subtype` with optional parameters), the rule
 * for `datacontenttype`.
 *
 * @example
 * ```ts
 * isMediaType('application/json; charset=utf-8'); // true
 * isMediaType('xyz'); // false
 * ```
 */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

/**
 * Whether a content type declares JSON: subtype `json` or a `+json` suffix, parameters ignored
 * (CloudEvents JSON format, section 3.1). An absent content type means JSON too.
 *
 * @example
 * ```ts
 * isJsonMediaType('application/cloudevents+json'); // true
 * isJsonMediaType('text/plain'); // false
 * isJsonMediaType(undefined); // true
 * ```
 */
export function isJsonMediaType(value: string | undefined): boolean {
  if (value === undefined) return true;
  const semicolon = value.indexOf(';');
  const essence = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  const subtype = essence.slice(essence.indexOf('/') + 1);
  return subtype === 'json' || subtype.endsWith('+json');
}
