import { HeraldError } from '../errors/index.js';
import { matchesPattern, validatePattern, validateType } from './subject.js';
import { SubjectTrie } from './subject-trie.js';

/** Options of {@link SubjectIndex}. */
export interface SubjectIndexOptions {
  /** How many recent `match` results to keep; 0 disables the cache. Default 1024. */
  cacheSize?: number;
}

/**
 * Routes event types to the values subscribed under NATS-style patterns (`*` one token, `>` one or
 * more trailing tokens). Entries are (pattern, value) pairs compared by identity: a value added
 * under two patterns is returned once for each pattern that matches, in insertion order. Recent
 * results are cached (bounded, oldest evicted first); a cache hit is one Map lookup, and `add` /
 * `remove` update only the cached results their pattern matches.
 *
 * Returned arrays are frozen and shared between calls; the index never mutates one it returned.
 *
 * @example
 * ```ts
 * const index = new SubjectIndex<string>();
 * index.add('orders.*', 'audit');
 * index.add('orders.>', 'metrics');
 * index.match('orders.created'); // ['audit', 'metrics']
 * index.match('orders.eu.created'); // ['metrics']
 * index.match('orders'); // []
 * ```
 */
export class SubjectIndex<T> {
  readonly #trie = new SubjectTrie<T>();
  #size = 0;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, readonly T[]>();

  constructor(options: SubjectIndexOptions = {}) {
    const cacheSize = options.cacheSize ?? 1024;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new HeraldError(
        'INVALID_OPTION',
        `invalid cacheSize ${String(cacheSize)}: expected an integer >= 0`,
        {
          details: { option: 'cacheSize', value: cacheSize },
        },
      );
    }
    this.#cacheSize = cacheSize;
  }

  /** Number of (pattern, value) entries. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds `value` under `pattern`; adding a pair that is already present does nothing.
   *
   * @throws HeraldError `INVALID_PATTERN` when the pattern breaks the grammar.
   * @example
   * ```ts
   * index.add('payments.*.failed', alertHandler);
   * ```
   */
  add(pattern: string, value: T): void {
    validatePattern(pattern);
    if (!this.#trie.add(pattern.split('.'), value)) return;
    this.#size++;
    // The new entry is the most recent, so it goes last in every cached result it belongs to.
    for (const [type, values] of this.#cache) {
      if (matchesPattern(pattern, type)) this.#cache.set(type, Object.freeze([...values, value]));
    }
  }

  /**
   * Removes `value` from under `pattern`; returns whether the pair was present. Trie nodes left
   * empty are pruned, so subscription churn does not grow the index. An invalid pattern was never
   * added, so it returns false.
   *
   * @example
   * ```ts
   * index.remove('payments.*.failed', alertHandler); // true
   * ```
   */
  remove(pattern: string, value: T): boolean {
    if (!this.#trie.remove(pattern.split('.'), value)) return false;
    this.#size--;
    // Recomputing from the trie is simpler than finding which occurrence of `value` came from this
    // pattern (the same value may arrive through several), and touches only the affected types.
    for (const type of this.#cache.keys()) {
      if (matchesPattern(pattern, type)) this.#cache.set(type, this.#trie.match(type.split('.')));
    }
    return true;
  }

  /**
   * The values whose pattern matches `type`, once per matching (pattern, value) entry, in insertion
   * order. The array is frozen and may be shared with other callers.
   *
   * @throws HeraldError `INVALID_TYPE` when `type` breaks the grammar (checked only on a cache
   * miss: a cached type is known to be valid).
   * @example
   * ```ts
   * for (const handler of index.match('orders.created')) handler(event);
   * ```
   */
  match(type: string): readonly T[] {
    const hit = this.#cache.get(type);
    if (hit !== undefined) return hit;
    validateType(type);
    const result = this.#trie.match(type.split('.'));
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) {
        // Oldest inserted first: eviction by age keeps a hit to a single lookup (no LRU reordering).
        this.#cache.delete(this.#cache.keys().next().value!);
      }
      this.#cache.set(type, result);
    }
    return result;
  }

  /**
   * Removes every entry and empties the cache.
   *
   * @example
   * ```ts
   * index.clear();
   * index.size; // 0
   * ```
   */
  clear(): void {
    this.#trie.clear();
    this.#cache.clear();
    this.#size = 0;
  }
}
