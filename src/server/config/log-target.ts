import { backendFor, knownTargets, urlOf } from '../../backends/registry.js';
import { configError, shown } from './config-error.js';
import type { ValueType } from './value-types.js';

/**
 * The `log` setting: a backend's bare name (`sqlite`, the embedded default, in `data`; `memory`)
 * or a URL whose scheme a backend of `src/backends/registry.ts` has: `postgres://` (PostgreSQL),
 * `redis://` or `rediss://` (Redis), `nats://` or `tls://` (NATS JetStream). Anything else is
 * refused naming the key, the scheme and the known ones; credentials are never echoed.
 *
 * @example
 * ```ts
 * logTarget.check('memory', 'log', '--log'); // 'memory'
 * logTarget.check('redis://localhost:6379', 'log', '--log'); // 'redis://localhost:6379'
 * logTarget.check('mysql://localhost', 'log', '--log');
 * // throws: must be sqlite, memory, or a postgres://, ... or tls:// URL, got mysql://localhost (no backend has the scheme mysql:)
 * ```
 */
export const logTarget: ValueType = {
  expected: 'sqlite, memory, or a backend URL',
  fromText: (t) => t,
  check(value, key, source) {
    if (typeof value === 'string' && backendFor(value) !== undefined) return value;
    const { names, schemes } = knownTargets();
    const known = `${names.join(', ')}, or a ${or(schemes)} URL`;
    const extra = { known: [...names, ...schemes] };
    if (typeof value === 'string' && value.includes('://')) {
      const url = urlOf(value);
      if (url === undefined) throw configError(key, source, `must be ${known}, got an invalid URL`, extra);
      const scheme = url.protocol;
      throw configError(
        key,
        source,
        `must be ${known}, got ${redact(url)} (no backend has the scheme ${scheme})`,
        { ...extra, scheme: scheme.slice(0, -1) },
      );
    }
    throw configError(key, source, `must be ${known}, got ${shown(value)}`, extra);
  },
};

/** `a, b or c`. */
function or(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}`;
}

/**
 * A log URL with its password replaced by `***`, for messages and the listening line.
 *
 * @example
 * ```ts
 * redact(new URL('postgres://app:s3cret@db/shop')); // 'postgres://app:***@db/shop'
 * ```
 */
export function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}
