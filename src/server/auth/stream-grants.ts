import { HeraldError } from '../../errors/herald-error.js';
import type { Principal } from './principal.js';

// Control characters are refused in stream names (src/log/invalid-option.ts): none in patterns.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * True when `pattern` is a stream grant: a stream name (1 to 255 characters, no control
 * characters), a name prefix ending in `*` (`order-*`), or `*` for every stream. A `*` anywhere
 * but at the end is refused.
 *
 * @example
 * ```ts
 * isValidStreamPattern('order-*'); // true
 * isValidStreamPattern('or*der'); // false
 * ```
 */
export function isValidStreamPattern(pattern: unknown): pattern is string {
  if (typeof pattern !== 'string' || pattern === '' || pattern.length > 256 || CONTROL.test(pattern))
    return false;
  const star = pattern.indexOf('*');
  return star === -1 || star === pattern.length - 1;
}

/**
 * A matcher of stream names for a list of stream grants (`'order-*'` is a prefix, `'*'` every
 * stream, anything else one name).
 *
 * @example
 * ```ts
 * streamMatcher(['order-*'])('order-7'); // true
 * ```
 */
export function streamMatcher(grants: readonly string[]): (stream: string) => boolean {
  const names = new Set(grants.filter((g) => !g.endsWith('*')));
  const prefixes = grants.filter((g) => g.endsWith('*')).map((g) => g.slice(0, -1));
  return (stream) => names.has(stream) || prefixes.some((p) => stream.startsWith(p));
}

/**
 * Throws `FORBIDDEN` unless the principal may address the stream by name (append to it, read
 * its version or its events as a stream). Decided by the name alone, so it reveals nothing
 * about the stream.
 *
 * @example
 * ```ts
 * assertCanUseStream(request.principal, 'order-7');
 * ```
 */
export function assertCanUseStream(who: Principal, stream: string): void {
  if (!who.canUseStream(stream)) {
    throw new HeraldError(
      'FORBIDDEN',
      `"${who.id}" may not use the stream "${stream.length > 100 ? `${stream.slice(0, 97)}...` : stream}": grant it with streams`,
      { details: { stream, allowed: who.streams } },
    );
  }
}
