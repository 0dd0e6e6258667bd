import type { Middleware } from './context.js';

/**
 * Remembers which keys were seen. `firstSeen` records `key` for `windowMs` and answers true only
 * the first time within that window (SET NX with expiry). Stores may be shared across processes
 * (a Redis or SQL store), which makes dedup hold across instances.
 */
export interface DedupeStore {
  firstSeen(key: string, windowMs: number): boolean | Promise<boolean>;
}

/** Options of the `dedupe` policy. */
export interface DedupeOptions {
  /** How long an id is remembered, in ms (default 10 minutes). */
  windowMs?: number;
  /** Where seen ids are kept (default: a bounded in-memory store per subscription). */
  store?: DedupeStore;
  /** Bound of the default in-memory store; the oldest ids are forgotten first (default 100,000). */
  maxKeys?: number;
}

/**
 * An in-memory `DedupeStore`: at most `maxKeys` keys, oldest forgotten first when full (so the
 * effective window can be shorter than `windowMs` under extreme rates; stated, not hidden).
 *
 * @example
 * ```ts
 * const store = memoryDedupeStore(10_000);
 * store.firstSeen('evt-1', 60_000); // true
 * store.firstSeen('evt-1', 60_000); // false
 * ```
 */
export function memoryDedupeStore(maxKeys = 100_000, now: () => number = Date.now): DedupeStore {
  const seen = new Map<string, number>(); // key -> expiry (ms); insertion order = age
  return {
    firstSeen(key, windowMs) {
      const t = now();
      const until = seen.get(key);
      if (until !== undefined && until > t) return false;
      seen.delete(key);
      seen.set(key, t + windowMs);
      // Forget expired keys from the old end first, then the oldest live ones past the bound.
      for (const [k, exp] of seen) {
        if (exp > t && seen.size <= maxKeys) break;
        seen.delete(k);
      }
      return true;
    },
  };
}

/**
 * Delivers an event at most once per subscription within a window. An event is known by its
 * `source` and `id` together, as CloudEvents defines identity: two producers (sources) that
 * happen to use one id are two events, and both are delivered. Retries and redrives of the same
 * event are not duplicates and pass through. The store's key is the subscription's name, the
 * source and the id, so with a shared store (`redisDedupeStore`, `logDedupeStore`) subscriptions
 * with the same `name` in several instances handle an event once between them.
 *
 * @example
 * ```ts
 * broker.subscribe('payment.captured', capture, { dedupe: { windowMs: 60_000 } });
 * ```
 */
export function dedupe(options: DedupeOptions = {}): Middleware {
  const windowMs = options.windowMs ?? 600_000;
  const store = options.store ?? memoryDedupeStore(options.maxKeys);
  return async (ctx, next) => {
    const key = `${ctx.subscription}\u0000${ctx.event.source}\u0000${ctx.event.id}`;
    if (!ctx.redelivered && !(await store.firstSeen(key, windowMs))) {
      ctx.skip('duplicate');
      return;
    }
    await next();
  };
}
