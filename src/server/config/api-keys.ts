import { createHash } from 'node:crypto';
import type { ApiKeyOptions } from '../auth/auth-options.js';
import { isValidPattern } from '../../subject/subject.js';
import { isValidStreamPattern } from '../auth/stream-grants.js';
import { configError, shown } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import type { ValueType } from './value-types.js';

const FIELDS = ['name', 'key', 'sha256', 'publish', 'subscribe', 'streams', 'admin'];
/** As the authenticator requires: shorter secrets are too easy to guess. */
const MIN_KEY_LENGTH = 8;
const EXPECTED = 'a list of { name, key or sha256, publish, subscribe, streams, admin }';

/**
 * The `auth.keys` setting: a list of `{ name, key | sha256, publish?, subscribe?, admin? }`; from
 * an environment variable, the same list as JSON. Names must be unique, and so must the secrets
 * (a `key` is compared with the `sha256` of the others too).
 *
 * @example
 * ```ts
 * apiKeys.check([{ name: 'shop', key: 's3cret-shop', publish: ['orders.>'] }], 'auth.keys', 'herald.yaml:4');
 * ```
 */
export const apiKeys: ValueType = {
  expected: EXPECTED,
  fromText(t, key, source) {
    try {
      return JSON.parse(t) as unknown;
    } catch (error) {
      throw configError(key, source, `must be a JSON list of keys: ${(error as Error).message}`);
    }
  },
  check(value, key, source) {
    if (!Array.isArray(value) || value.length === 0) {
      throw configError(key, source, `must be a non-empty ${EXPECTED}, got ${shown(value)}`);
    }
    const names = new Set<string>();
    const digests = new Set<string>();
    return value.map((item: unknown, i): ApiKeyOptions => {
      const at = `${key}[${i}]`;
      const parsed = apiKey(item, at, source);
      if (names.has(parsed.name))
        throw configError(`${at}.name`, source, `repeats the name "${parsed.name}"`);
      names.add(parsed.name);
      const digest = parsed.sha256 ?? sha256(parsed.key!);
      if (digests.has(digest)) throw configError(at, source, 'has the same secret as an earlier key');
      digests.add(digest);
      return parsed;
    });
  },
};

function apiKey(item: unknown, at: string, source: string): ApiKeyOptions {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw configError(at, source, `must be a mapping like { name, key, publish }, got ${shown(item)}`);
  }
  const fields = item as Record<string, unknown>;
  for (const field of Object.keys(fields)) {
    if (!FIELDS.includes(field)) {
      const guess = didYouMean(field, FIELDS);
      throw configError(
        `${at}.${field}`,
        source,
        `is not a known field${guess ? `; did you mean ${guess}?` : ` (known: ${FIELDS.join(', ')})`}`,
      );
    }
  }
  const { name, key, sha256: digest, publish, subscribe, streams, admin } = fields;
  if (typeof name !== 'string' || name === '') {
    throw configError(`${at}.name`, source, `must be a non-empty string, got ${shown(name)}`);
  }
  if ((key === undefined) === (digest === undefined)) {
    throw configError(at, source, 'must have exactly one of key (the secret) or sha256 (its hex SHA-256)');
  }
  if (key !== undefined && (typeof key !== 'string' || key.length < MIN_KEY_LENGTH)) {
    throw configError(`${at}.key`, source, `must be a string of ${MIN_KEY_LENGTH} characters or more`);
  }
  if (digest !== undefined && (typeof digest !== 'string' || !/^[0-9a-f]{64}$/i.test(digest))) {
    throw configError(`${at}.sha256`, source, `must be 64 hex digits, got ${shown(digest)}`);
  }
  if (admin !== undefined && typeof admin !== 'boolean') {
    throw configError(`${at}.admin`, source, `must be true or false, got ${shown(admin)}`);
  }
  return {
    name,
    ...(typeof key === 'string' && { key }),
    ...(typeof digest === 'string' && { sha256: digest.toLowerCase() }),
    ...(publish !== undefined && { publish: patterns(publish, `${at}.publish`, source) }),
    ...(subscribe !== undefined && { subscribe: patterns(subscribe, `${at}.subscribe`, source) }),
    ...(streams !== undefined && { streams: streamGrants(streams, `${at}.streams`, source) }),
    ...(admin !== undefined && { admin }),
  };
}

function streamGrants(value: unknown, at: string, source: string): string[] {
  if (!Array.isArray(value)) {
    throw configError(
      at,
      source,
      `must be a list of stream names or prefixes like ["order-*"], got ${shown(value)}`,
    );
  }
  return value.map((p: unknown, i) => {
    if (!isValidStreamPattern(p)) {
      throw configError(
        `${at}[${i}]`,
        source,
        `must be a stream name, a prefix ending in * (order-*), or *, got ${shown(p)}`,
      );
    }
    return p;
  });
}

function patterns(value: unknown, at: string, source: string): string[] {
  if (!Array.isArray(value)) {
    throw configError(
      at,
      source,
      `must be a list of subject patterns like ["orders.>"], got ${shown(value)}`,
    );
  }
  return value.map((p: unknown, i) => {
    if (typeof p !== 'string' || !isValidPattern(p)) {
      throw configError(
        `${at}[${i}]`,
        source,
        `must be a subject pattern like orders.> or orders.*, got ${shown(p)}`,
      );
    }
    return p;
  });
}

function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
