import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { HeraldError } from '../../errors/herald-error.js';
import { isValidPattern } from '../../subject/subject.js';
import type { ApiKeyOptions, AuthOptions } from './auth-options.js';
import { principal, type Principal } from './principal.js';
import { isValidStreamPattern } from './stream-grants.js';

/** Turns a bearer token into a principal, or throws `UNAUTHORIZED` saying why. */
export type Authenticator = (token: string) => Promise<Principal>;

/**
 * Builds the authenticator of a config: API keys are looked up by their SHA-256 (the key itself is
 * never compared, so comparison time says nothing about it), then anything shaped like a JWT is
 * verified with `jose`: HS256 against `jwt.secret`, RS256/ES256 (and the other asymmetric
 * algorithms) against the JWKS. Claims `publish` and `subscribe` (arrays of patterns, or one
 * space-separated string), `streams` (stream names or `prefix*`) and `admin` (boolean) are the grants; `sub` names the caller.
 * Returns `undefined` when the config has no auth (the hub is then open).
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator({ keys: [{ name: 'shop', key: 's3cret', publish: ['orders.>'] }] });
 * const who = await authenticate!('s3cret'); // who.id === 'shop'
 * ```
 */
export function createAuthenticator(options: AuthOptions | undefined): Authenticator | undefined {
  const keys = new Map<string, Principal>();
  for (const [index, key] of (options?.keys ?? []).entries()) keys.set(keyHash(key, index), grantsOf(key));
  const jwt = options?.jwt;
  const getKey = jwt
    ? jwtKey(jwt.secret, jwt.jwks ?? (jwt.jwksFile ? readJwks(jwt.jwksFile) : undefined))
    : undefined;
  if (keys.size === 0 && getKey === undefined) return undefined;

  return async (token) => {
    const byKey = keys.get(sha256(token));
    if (byKey) return byKey;
    if (getKey === undefined || token.split('.').length !== 3) throw unauthorized('unknown API key');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        ...(jwt?.issuer !== undefined && { issuer: jwt.issuer }),
        ...(jwt?.audience !== undefined && { audience: jwt.audience }),
      }));
    } catch (error) {
      throw unauthorized(`invalid token: ${jwtReason(error)}`);
    }
    return principal({
      id: typeof payload.sub === 'string' ? payload.sub : 'jwt',
      publish: patternsClaim(payload, 'publish'),
      subscribe: patternsClaim(payload, 'subscribe'),
      streams: streamsClaim(payload),
      admin: payload.admin === true,
      ...(typeof payload.exp === 'number' && { expiresAt: payload.exp * 1000 }),
    });
  };
}

function keyHash(key: ApiKeyOptions, index: number): string {
  if (key.sha256 !== undefined) {
    if (!/^[0-9a-f]{64}$/i.test(key.sha256)) {
      throw new HeraldError('INVALID_CONFIG', `auth.keys[${index}].sha256 must be 64 hex digits`, {
        details: { key: `auth.keys[${index}].sha256` },
      });
    }
    return key.sha256.toLowerCase();
  }
  if (key.key === undefined || key.key.length < 8) {
    throw new HeraldError(
      'INVALID_CONFIG',
      `auth.keys[${index}] needs "key" (8 characters or more) or "sha256"`,
      {
        details: { key: `auth.keys[${index}]` },
      },
    );
  }
  return sha256(key.key);
}

function grantsOf(key: ApiKeyOptions): Principal {
  for (const stream of key.streams ?? []) {
    const valid: boolean = isValidStreamPattern(stream);
    if (!valid) {
      throw new HeraldError(
        'INVALID_CONFIG',
        `auth key "${key.name}" has an invalid stream grant ${JSON.stringify(stream)}`,
        {
          details: { key: 'auth.keys', stream },
        },
      );
    }
  }
  for (const pattern of [...(key.publish ?? []), ...(key.subscribe ?? [])]) {
    if (!isValidPattern(pattern)) {
      throw new HeraldError('INVALID_CONFIG', `auth key "${key.name}" has an invalid pattern "${pattern}"`, {
        details: { key: 'auth.keys', pattern },
      });
    }
  }
  return principal({
    id: key.name,
    ...(key.publish && { publish: key.publish }),
    ...(key.subscribe && { subscribe: key.subscribe }),
    ...(key.streams && { streams: key.streams }),
    ...(key.admin !== undefined && { admin: key.admin }),
  });
}

function jwtKey(
  secret: string | undefined,
  jwks: { keys: Record<string, unknown>[] } | undefined,
): JWTVerifyGetKey | undefined {
  const hmac = secret !== undefined ? new TextEncoder().encode(secret) : undefined;
  const set = jwks ? createLocalJWKSet(jwks) : undefined;
  if (!hmac && !set) return undefined;
  return async (header, token) => {
    if (header.alg === 'HS256' || header.alg === 'HS384' || header.alg === 'HS512') {
      if (!hmac) throw new joseErrors.JOSEAlgNotAllowed('HMAC tokens are not accepted (no jwt.secret)');
      return hmac;
    }
    if (!set) throw new joseErrors.JOSEAlgNotAllowed(`${header.alg} needs a JWKS (jwt.jwksFile)`);
    return set(header, token);
  };
}

function readJwks(path: string): { keys: Record<string, unknown>[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new HeraldError('INVALID_CONFIG', `auth.jwt.jwksFile "${path}": ${(error as Error).message}`, {
      details: { key: 'auth.jwt.jwksFile', path },
    });
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) {
    throw new HeraldError('INVALID_CONFIG', `auth.jwt.jwksFile "${path}" has no "keys" array`, {
      details: { key: 'auth.jwt.jwksFile', path },
    });
  }
  return { keys: keys as Record<string, unknown>[] };
}

function patternsClaim(payload: JWTPayload, claim: 'publish' | 'subscribe'): string[] {
  const value = payload[claim];
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((p): p is string => typeof p === 'string' && isValidPattern(p))) {
    throw unauthorized(`invalid token: the "${claim}" claim must list valid subject patterns`);
  }
  return list;
}

function streamsClaim(payload: JWTPayload): string[] {
  const value = payload.streams;
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every(isValidStreamPattern)) {
    throw unauthorized(
      'invalid token: the "streams" claim must list stream names or name prefixes ending in *',
    );
  }
  return list;
}

function jwtReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason}`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key in the JWKS matches';
  return error instanceof Error ? error.message : String(error);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `UNAUTHORIZED` (401) with the reason. */
export function unauthorized(message: string): HeraldError {
  return new HeraldError('UNAUTHORIZED', message, { details: {} });
}
