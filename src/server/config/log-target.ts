import { configError, shown } from './config-error.js';
import type { ValueType } from './value-types.js';

/** Backends that will take a URL; named so the error says which one is missing. */
const PLANNED: Record<string, string> = {
  'postgres:': 'PostgreSQL',
  'postgresql:': 'PostgreSQL',
  'redis:': 'Redis',
  'rediss:': 'Redis',
  'nats:': 'NATS',
  'tls:': 'NATS',
};

/**
 * The `log` setting: `sqlite` (the embedded default, in `data`), `memory`, or a backend URL. URLs
 * of the PostgreSQL, Redis and NATS backends are recognised and refused with a clear error until
 * those backends land; their credentials are never echoed.
 *
 * @example
 * ```ts
 * logTarget.check('memory', 'log', '--log'); // 'memory'
 * logTarget.check('redis://localhost', 'log', '--log'); // throws: the Redis backend is not supported yet
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
      const backend = url && PLANNED[url.protocol];
      if (url && backend) {
        throw configError(
          key,
          source,
          `is a ${backend} URL (${redact(url)}), but the ${backend} backend is not supported yet; use sqlite or memory`,
        );
      }
      throw configError(
        key,
        source,
        `must be sqlite, memory, or a postgres://, redis:// or nats:// URL, got ${url ? redact(url) : 'an invalid URL'}`,
      );
    }
    throw configError(key, source, `must be sqlite, memory, or a backend URL, got ${shown(value)}`);
  },
};

function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}
