import { configError, shown } from './config-error.js';
import type { ValueType } from './value-types.js';

/** URL schemes of backends that exist: the value is kept as it is. */
const SUPPORTED = new Set(['postgres:', 'postgresql:', 'redis:', 'rediss:', 'nats:', 'tls:']);

/**
 * The `log` setting: `sqlite` (the embedded default, in `data`), `memory`, or a backend URL:
 * `postgres://` (PostgreSQL), `redis://` or `rediss://` (Redis), `nats://` or `tls://` (NATS
 * JetStream). Anything else is refused naming the key; credentials are never echoed.
 *
 * @example
 * ```ts
 * logTarget.check('memory', 'log', '--log'); // 'memory'
 * logTarget.check('redis://localhost:6379', 'log', '--log'); // 'redis://localhost:6379'
 * logTarget.check('mysql://localhost', 'log', '--log'); // throws: must be sqlite, memory, or a ... URL
 * ```
 */
export const logTarget: ValueType = {
  expected: 'sqlite, memory, or a backend URL',
  fromText: (t) => t,
  check(value, key, source) {
    if (value === 'sqlite' || value === 'memory') return value;
    if (typeof value === 'string' && value.includes('://')) {
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        // fall through to the generic message
      }
      if (url && SUPPORTED.has(url.protocol)) return value;
      throw configError(
        key,
        source,
        `must be sqlite, memory, or a postgres://, redis:// or nats:// URL, got ${url ? redact(url) : 'an invalid URL'}`,
      );
    }
    throw configError(key, source, `must be sqlite, memory, or a backend URL, got ${shown(value)}`);
  },
};

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
