import { isIP } from 'node:net';
import { configError, shown } from './config-error.js';

/** How one kind of config value is read from text (env, flags) and checked (from any source). */
export interface ValueType {
  /** What a valid value looks like, for messages and the docs: `'a positive integer'`. */
  readonly expected: string;
  /** Converts the text of an environment variable or a flag; leaves what it cannot convert for `check` to refuse. */
  fromText(text: string, key: string, source: string): unknown;
  /** Returns the value, normalised, or throws `INVALID_CONFIG` naming `key` and `source`. */
  check(value: unknown, key: string, source: string): unknown;
}

function simple(
  expected: string,
  test: (value: unknown) => boolean,
  fromText: (text: string) => unknown = (text) => text,
): ValueType {
  return {
    expected,
    fromText,
    check(value, key, source) {
      if (!test(value)) throw configError(key, source, `must be ${expected}, got ${shown(value)}`);
      return value;
    },
  };
}

/**
 * A non-empty string.
 *
 * @example
 * ```ts
 * text.check('127.0.0.1', 'host', '--host'); // '127.0.0.1'
 * ```
 */
export const text: ValueType = simple('a non-empty string', (v) => typeof v === 'string' && v !== '');

/**
 * A lowercase SQL identifier (letters, digits, underscores; starting with a letter or underscore;
 * at most 63 characters, PostgreSQL's limit).
 *
 * @example
 * ```ts
 * identifier.check('herald', 'postgres.schema', '--schema'); // 'herald'
 * ```
 */
export const identifier: ValueType = simple(
  'a lowercase identifier (a-z, 0-9, _; at most 63 characters)',
  (v) => typeof v === 'string' && /^[a-z_][a-z0-9_]{0,62}$/.test(v),
);

/**
 * `true` or `false`; from text also `1`/`0` and `yes`/`no`.
 *
 * @example
 * ```ts
 * boolean.fromText('yes', 'insecure', 'HERALD_INSECURE'); // true
 * ```
 */
export const boolean: ValueType = simple(
  'true or false',
  (v) => typeof v === 'boolean',
  (t) => {
    const lower = t.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(lower)) return true;
    if (['false', '0', 'no'].includes(lower)) return false;
    return t;
  },
);

/**
 * An integer in `[min, max]`.
 *
 * @example
 * ```ts
 * integer(0, 65535).check(4021, 'port', 'herald.yaml:2'); // 4021
 * ```
 */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): ValueType {
  const expected =
    max === Number.MAX_SAFE_INTEGER
      ? min === 1
        ? 'a positive integer'
        : `an integer >= ${min}`
      : `an integer from ${min} to ${max}`;
  return simple(
    expected,
    (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max,
    (t) => (/^\s*-?\d+\s*$/.test(t) ? Number(t) : t),
  );
}

/**
 * One of a few strings.
 *
 * @example
 * ```ts
 * oneOf(['fsync', 'os']).check('os', 'sqlite.durability', 'HERALD_SQLITE__DURABILITY'); // 'os'
 * ```
 */
export function oneOf(values: readonly string[]): ValueType {
  const expected = `one of ${values.join(', ')}`;
  return simple(expected, (v) => typeof v === 'string' && values.includes(v));
}

/**
 * A list of `item`, non-empty unless `allowEmpty` (for a key where `[]` means something: no CORS
 * origin at all); from text, comma-separated.
 *
 * @example
 * ```ts
 * list(ipOrCidr).fromText('127.0.0.1, 10.0.0.0/8', 'allowIps', 'HERALD_ALLOW_IPS'); // ['127.0.0.1', '10.0.0.0/8']
 * ```
 */
export function list(item: ValueType, { allowEmpty = false }: { allowEmpty?: boolean } = {}): ValueType {
  return {
    expected: `a list, each ${item.expected}`,
    fromText: (t) =>
      t
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    check(value, key, source) {
      if (!Array.isArray(value)) {
        throw configError(key, source, `must be a list, each ${item.expected}, got ${shown(value)}`);
      }
      if (value.length === 0 && !allowEmpty)
        throw configError(key, source, 'must not be empty (leave it out instead)');
      return value.map((v: unknown, i) => item.check(v, `${key}[${i}]`, source));
    },
  };
}

/**
 * An IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`).
 *
 * @example
 * ```ts
 * ipOrCidr.check('10.0.0.0/8', 'allowIps[0]', 'herald.yaml:9'); // '10.0.0.0/8'
 * ```
 */
export const ipOrCidr: ValueType = simple('an IP address or a CIDR range like 10.0.0.0/8', (v) => {
  if (typeof v !== 'string') return false;
  const [address = '', prefix, ...rest] = v.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
});

/**
 * A CORS origin (`https://app.example`, scheme and host and optional port, no path) or `*`.
 *
 * @example
 * ```ts
 * origin.check('https://app.example', 'cors.origins[0]', 'HERALD_CORS__ORIGINS'); // 'https://app.example'
 * ```
 */
export const origin: ValueType = simple('"*" or an origin like https://app.example', (v) => {
  if (v === '*') return true;
  if (typeof v !== 'string') return false;
  try {
    return new URL(v).origin === v;
  } catch {
    return false;
  }
});

/**
 * A DNS host name (`hub.example`), or `.example.com` for that name and every name below it.
 *
 * @example
 * ```ts
 * hostName.check('.example.com', 'hosts[0]', 'herald.yaml:3'); // '.example.com'
 * ```
 */
export const hostName: ValueType = simple(
  'a host name like hub.example, or .example.com for it and the names below it',
  (v) =>
    typeof v === 'string' &&
    v.length <= 253 &&
    /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(v),
);
