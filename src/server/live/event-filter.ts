import { typeMatcher } from '../../log/type-matcher.js';
import type { Principal } from '../auth/principal.js';

/** Whether a client receives an event of this type. */
export type EventFilter = (type: string) => boolean;

// Types remembered per filter before its memo starts over: types come from publishers.
const MEMO_LIMIT = 1_024;

interface Shared {
  readonly filter: EventFilter;
  refs: number;
}

/**
 * The filters of a hub's live clients: a client's patterns (`undefined`: every type) and, for
 * every event, what its principal may read. Clients with the same principal and patterns share
 * one filter, which remembers its answer per type, so fanning an event out to a thousand alike
 * clients matches the type once. Filters are counted and dropped with their last client.
 *
 * @example
 * ```ts
 * const filters = new FilterCache();
 * const accepts = filters.acquire(request.principal, ['orders.>']);
 * accepts('orders.created'); // true, if the principal may read it
 * filters.release(request.principal, ['orders.>']);
 * ```
 */
export class FilterCache {
  readonly #byPrincipal = new Map<Principal, Map<string, Shared>>();

  acquire(who: Principal, patterns: readonly string[] | undefined): EventFilter {
    let byKey = this.#byPrincipal.get(who);
    if (byKey === undefined) {
      byKey = new Map();
      this.#byPrincipal.set(who, byKey);
    }
    const key = keyOf(patterns);
    let shared = byKey.get(key);
    if (shared === undefined) {
      shared = { filter: memoized(typeMatcher(patterns), who), refs: 0 };
      byKey.set(key, shared);
    }
    shared.refs++;
    return shared.filter;
  }

  release(who: Principal, patterns: readonly string[] | undefined): void {
    const byKey = this.#byPrincipal.get(who);
    const key = keyOf(patterns);
    const shared = byKey?.get(key);
    if (byKey === undefined || shared === undefined) return;
    if (--shared.refs > 0) return;
    byKey.delete(key);
    if (byKey.size === 0) this.#byPrincipal.delete(who);
  }
}

const keyOf = (patterns: readonly string[] | undefined): string =>
  patterns === undefined ? '' : `\u0000${patterns.join('\u0000')}`;

function memoized(matches: (type: string) => boolean, who: Principal): EventFilter {
  const memo = new Map<string, boolean>();
  return (type) => {
    let accepted = memo.get(type);
    if (accepted === undefined) {
      accepted = matches(type) && who.canSubscribe(type);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(type, accepted);
    }
    return accepted;
  };
}
