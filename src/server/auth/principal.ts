import { HeraldError } from '../../errors/herald-error.js';
import { validatePattern } from '../../subject/subject.js';
import { typeMatcher } from '../../log/type-matcher.js';
import { streamMatcher } from './stream-grants.js';

/**
 * Who is calling the hub, and what they may do. Every route asks it: publish checks each event's
 * type, reads filter each event's type, and a subscription's patterns must lie inside what the
 * principal may read (`canSubscribePattern`).
 */
export interface Principal {
  /** The API key's name, the JWT's `sub`, or `anonymous` when auth is off. */
  readonly id: string;
  /** May use the admin routes (groups, dead letters) and read and publish everything. */
  readonly admin: boolean;
  /** The patterns this principal may publish and read (`['>']` for everything). */
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /**
   * The streams this principal may address by name (`order-*` is a prefix, `*` every stream):
   * append to, read the version of, read as a stream. Its events are still read by type.
   */
  readonly streams: readonly string[];
  /**
   * When the credential stops being valid (ms since the epoch): a JWT's `exp`. Live connections
   * opened with it are closed then. Undefined for API keys and anonymous callers.
   */
  readonly expiresAt: number | undefined;
  canPublish(type: string): boolean;
  canSubscribe(type: string): boolean;
  canUseStream(stream: string): boolean;
  /** True when every type the pattern matches may be read (the pattern lies inside the grants). */
  canSubscribePattern(pattern: string): boolean;
}

/** The grants of a principal, as API keys in the config and JWT claims state them. */
export interface Grants {
  id: string;
  publish?: readonly string[];
  subscribe?: readonly string[];
  /** Stream grants: names, `prefix*`, or `*`. */
  streams?: readonly string[];
  admin?: boolean;
  /** When the credential expires (ms since the epoch). */
  expiresAt?: number;
}

/**
 * Builds a principal from its grants. Admin implies every pattern and every stream.
 *
 * @example
 * ```ts
 * const p = principal({ id: 'shop', publish: ['orders.*'], subscribe: ['orders.>'] });
 * p.canPublish('orders.created'); // true
 * p.canSubscribePattern('payments.>'); // false
 * ```
 */
export function principal(grants: Grants): Principal {
  const admin = grants.admin === true;
  const publish = admin ? ['>'] : [...(grants.publish ?? [])];
  const subscribe = admin ? ['>'] : [...(grants.subscribe ?? [])];
  const canPublish = typeMatcher(publish);
  const canSubscribe = typeMatcher(subscribe);
  const streams = admin ? ['*'] : [...(grants.streams ?? [])];
  const canUseStream = streamMatcher(streams);
  return Object.freeze({
    id: grants.id,
    admin,
    publish,
    subscribe,
    streams,
    expiresAt: grants.expiresAt,
    canPublish,
    canSubscribe,
    canUseStream,
    canSubscribePattern: (pattern: string) => subscribe.some((grant) => patternCovers(grant, pattern)),
  });
}

/** The principal of a hub without auth: everything is allowed. */
export const anonymous: Principal = principal({ id: 'anonymous', admin: true });

/**
 * True when every subject `pattern` matches is matched by `grant` (NATS wildcards: `*` one
 * token, `>` one or more at the end).
 *
 * @example
 * ```ts
 * patternCovers('orders.>', 'orders.*.created'); // true
 * patternCovers('orders.*', 'orders.>'); // false: orders.a.b is not covered
 * ```
 */
export function patternCovers(grant: string, pattern: string): boolean {
  validatePattern(pattern);
  const g = grant.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < g.length; i++) {
    const gt = g[i]!;
    const pt = p[i];
    if (gt === '>') return pt !== undefined; // '>' needs at least one token, any tokens
    if (pt === undefined || pt === '>') return false;
    if (gt === '*') continue; // a '*' grant covers a literal or a '*'
    if (pt !== gt) return false;
  }
  return p.length === g.length;
}

/**
 * Throws `FORBIDDEN` unless the principal may read every pattern, naming the first that it may not.
 *
 * @example
 * ```ts
 * assertCanSubscribe(request.principal, ['orders.>']);
 * ```
 */
export function assertCanSubscribe(who: Principal, patterns: readonly string[]): void {
  for (const pattern of patterns) {
    if (!who.canSubscribePattern(pattern)) {
      throw new HeraldError('FORBIDDEN', `"${who.id}" may not read "${pattern}"`, {
        details: { pattern, allowed: who.subscribe },
      });
    }
  }
}

/**
 * Throws `FORBIDDEN` unless the principal may publish the type.
 *
 * @example
 * ```ts
 * assertCanPublish(request.principal, 'orders.created');
 * ```
 */
export function assertCanPublish(who: Principal, type: string): void {
  if (!who.canPublish(type)) {
    throw new HeraldError('FORBIDDEN', `"${who.id}" may not publish "${type}"`, {
      details: { type, allowed: who.publish },
    });
  }
}

/**
 * Throws `FORBIDDEN` unless the principal is an admin.
 *
 * @example
 * ```ts
 * assertAdmin(request.principal);
 * ```
 */
export function assertAdmin(who: Principal): void {
  if (!who.admin) throw new HeraldError('FORBIDDEN', `"${who.id}" is not an admin`, { details: {} });
}

/**
 * The patterns a read may use: the requested ones (each must lie inside the grants), or, when
 * none were asked for, the principal's own grants (`FORBIDDEN` when it has none: a read that can
 * return nothing is refused rather than answered empty).
 *
 * @example
 * ```ts
 * readPatterns(principal({ id: 'a', subscribe: ['orders.>'] }), undefined); // ['orders.>']
 * ```
 */
export function readPatterns(
  who: Principal,
  requested: readonly string[] | undefined,
): readonly string[] | undefined {
  if (requested === undefined || requested.length === 0) {
    if (who.subscribe.length === 0) assertCanSubscribe(who, ['>']); // may read nothing: 403
    return who.subscribe.includes('>') ? undefined : who.subscribe;
  }
  assertCanSubscribe(who, requested);
  return requested;
}
