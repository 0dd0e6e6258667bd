// RFC 3986 character classes, as regular-expression source.
const PCT = '%[0-9A-Fa-f]{2}';
const PCHAR = `(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|${PCT})`;
const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*$/;
const USERINFO = `(?:[A-Za-z0-9\\-._~!$&'()*+,;=:]|${PCT})*`;
// IPv6 is checked only for its characters: a malformed address inside brackets is the host's problem.
const IP_LITERAL = `\\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\\.[A-Za-z0-9\\-._~!$&'()*+,;=:]+)\\]`;
const REG_NAME = `(?:[A-Za-z0-9\\-._~!$&'()*+,;=]|${PCT})*`;
const AUTHORITY = new RegExp(`^(?:${USERINFO}@)?(?:${IP_LITERAL}|${REG_NAME})(?::[0-9]*)?$`);
const PATH = new RegExp(`^(?:${PCHAR}|/)*$`);
const QUERY = new RegExp(`^(?:${PCHAR}|[/?])*$`);
// RFC 3986 appendix B: splits any string into the five components; each is then checked on its own.
const COMPONENTS = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

// The last value isUriReference accepted.
let lastUriReference: string | undefined;

function parts(value: string): RegExpExecArray | null {
  const m = COMPONENTS.exec(value);
  if (m === null) return null;
  const [, scheme, authority, path, query, fragment] = m;
  // A first segment with ':' that is not a valid scheme is neither a URI nor a relative reference.
  if (scheme !== undefined && !SCHEME.test(scheme)) return null;
  if (authority !== undefined && !AUTHORITY.test(authority)) return null;
  if (!PATH.test(path ?? '')) return null;
  if (query !== undefined && !QUERY.test(query)) return null;
  if (fragment !== undefined && !QUERY.test(fragment)) return null;
  return m;
}

/**
 * Whether `value` is an RFC 3986 URI-reference (an absolute URI or a relative reference), the
 * CloudEvents type of `source`. Only ASCII is allowed: other characters must be percent-encoded.
 *
 * @example
 * ```ts
 * isUriReference('https://example.com/orders'); // true
 * isUriReference('#fragment'); // true
 * isUriReference('my service'); // false: a space must be written %20
 * ```
 */
export function isUriReference(value: string): boolean {
  // A producer's events share their source: the last valid one is remembered.
  if (value === lastUriReference) return true;
  if (parts(value) === null) return false;
  lastUriReference = value;
  return true;
}

/**
 * Whether `value` is an RFC 3986 URI with a scheme, the CloudEvents `URI` type of `dataschema`.
 * A fragment is accepted (as the CloudEvents JSON Schema's `uri` format does), since schema
 * locations such as `https://example.com/s.json#/defs/Order` are common.
 *
 * @example
 * ```ts
 * isAbsoluteUri('https://example.com/schemas/order.json'); // true
 * isAbsoluteUri('/schemas/order.json'); // false: no scheme
 * ```
 */
export function isAbsoluteUri(value: string): boolean {
  const m = parts(value);
  return m !== null && m[1] !== undefined;
}
