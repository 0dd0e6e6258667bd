import { HeraldError } from '../errors/index.js';
import { MAX_SUBJECT_LENGTH, matchesPattern, validatePattern, validateType } from './subject.js';
import { SubjectTrie } from './subject-trie.js';

/** Lookups per judgement of the cache: is it paying for itself? */
const CACHE_WINDOW = 4096;
/** A full cache keeps being filled only while at least 1 lookup in this many is a hit. */
const CACHE_MIN_HIT_EVERY = 8;
/**
 * While paused, the cache is filled again for one window (a probe) after this many windows; each
 * probe that finds the cache still not paying doubles the pause, up to `CACHE_MAX_PAUSE` windows.
 */
const CACHE_FIRST_PAUSE = 16;
const CACHE_MAX_PAUSE = 256;

/** Options of {@link SubjectIndex}. */
export interface SubjectIndexOptions {
  /** How many recent `match` results to keep; 0 disables the cache. Default 1024. */
  cacheSize?: number;
}

/**
 * Validates `type` and splits it into `tokens` (reused) in one pass: measured about 40% cheaper than
 * `validateType` followed by `split` on a miss. Only printable ASCII is judged here; anything else
 * defers to `validateType`, which throws with the precise rule or accepts the character.
 */
function tokenize(type: string, tokens: string[]): readonly string[] {
  let checked = false;
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_SUBJECT_LENGTH) {
    validateType(type);
    checked = true;
  }
  const n = type.length;
  let count = 0;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = type.charCodeAt(i);
    if (c === 0x2e) {
      if (i === start) validateType(type);
      tokens[count++] = type.slice(start, i);
      start = i + 1;
    } else if (!checked && (c <= 0x20 || c >= 0x7f || c === 0x2a || c === 0x3e)) {
      validateType(type);
      checked = true;
    }
  }
  if (start === n) validateType(type);
  tokens[count++] = type.slice(start);
  tokens.length = count;
  return tokens;
}

/**
 * Routes event types to the values subscribed under NATS-style patterns (`*` one token, `>` one or
 * more trailing tokens). Entries are (pattern, value) pairs compared by identity: a value added
 * under two patterns is returned once for each pattern that matches (in no promised order). Recent
 * results are cached (bounded, oldest evicted first); a cache hit is one Map lookup, and `add` /
 * `remove` update only the cached results their pattern matches. The cache adapts: when it is full
 * and fewer than 1 lookup in 8 hits it over a window of 4,096, it stops taking new results (they
 * cost more than they save) and tries again later, waiting twice as long after each failed try.
 *
 * Returned arrays are shared between calls (a cache hit returns the same array) and typed
 * `readonly`: never mutate one. The index never changes an array it returned; a change builds new
 * ones. They are not frozen because frozen arrays make `forEach`, `filter` and `slice` several
 * times slower on Node 20.
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
  // The cached types in insertion order, as a ring: the slot at #ringAt is the oldest, evicted
  // next. (Evicting through `cache.keys().next()` measured O(deleted entries) per eviction: a
  // Map's deleted slots stay at its front until it rehashes.)
  #ring: (string | undefined)[] = [];
  #ringAt = 0;
  readonly #tokens: string[] = [];
  // The adaptive cache: lookups and hits in the current window, whether misses are cached, and
  // how many windows the filling has been paused.
  #lookups = 0;
  #hits = 0;
  #filling = true;
  #paused = 0;
  #pause = CACHE_FIRST_PAUSE;
  #probing = false;

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
    const cache = this.#cache;
    for (const [type, values] of cache) {
      if (matchesPattern(pattern, type)) cache.set(type, [...values, value]);
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
    const cache = this.#cache;
    for (const [type, values] of cache) {
      if (!matchesPattern(pattern, type)) continue;
      const at = values.indexOf(value);
      if (at >= 0 && at === values.lastIndexOf(value)) {
        const next = values.slice();
        next.splice(at, 1);
        cache.set(type, next);
      } else {
        // The value also arrives through another pattern, so which occurrence to drop is not
        // known here: forget the result and let the next match rebuild it from the trie.
        cache.delete(type);
      }
    }
    return true;
  }

  /**
   * The values whose pattern matches `type`, once per matching (pattern, value) entry, in no
   * promised order. The array is shared with other callers: treat it as read-only.
   *
   * @throws HeraldError `INVALID_TYPE` when `type` breaks the grammar (checked only on a cache
   * miss: a cached type is known to be valid).
   * @example
   * ```ts
   * for (const handler of index.match('orders.created')) handler(event);
   * ```
   */
  match(type: string): readonly T[] {
    const cache = this.#cache;
    const hit = cache.get(type);
    if (++this.#lookups === CACHE_WINDOW) this.#judge();
    if (hit !== undefined) {
      this.#hits++;
      return hit;
    }
    const result = this.#trie.match(tokenize(type, this.#tokens));
    if (!this.#filling || this.#cacheSize === 0) return result;
    // Oldest inserted first: eviction by age keeps a hit to a single lookup (no LRU reordering).
    // A slot may name a type `remove` already dropped (or one cached again since): deleting it
    // then only evicts early, and the map never holds more than the ring's cacheSize slots.
    const ring = this.#ring;
    const at = this.#ringAt;
    const oldest = ring[at];
    if (oldest !== undefined) cache.delete(oldest);
    ring[at] = type;
    this.#ringAt = at + 1 === this.#cacheSize ? 0 : at + 1;
    cache.set(type, result);
    return result;
  }

  /**
   * Once per window: a full cache that few lookups hit costs more than it saves (every miss
   * evicts, and cached results live long enough for the GC to promote them: measured in
   * bench/match.ts on random types, the cache made matching 0.6x of no cache). Filling then
   * pauses, existing entries still answer, and after `CACHE_FIRST_PAUSE` windows one window
   * fills again to see whether the types have become repetitive (a failed probe doubles the
   * pause, up to `CACHE_MAX_PAUSE` windows: about a million lookups).
   */
  #judge(): void {
    if (this.#filling) {
      const full = this.#cache.size >= this.#cacheSize;
      if (full && this.#hits * CACHE_MIN_HIT_EVERY < this.#lookups) {
        // A probe that failed waits twice as long; a first pause waits the least.
        this.#pause = this.#probing ? Math.min(this.#pause * 2, CACHE_MAX_PAUSE) : CACHE_FIRST_PAUSE;
        this.#filling = false;
        this.#paused = 0;
      }
      this.#probing = false;
    } else if (++this.#paused >= this.#pause) {
      this.#filling = true;
      this.#probing = true;
    }
    this.#lookups = 0;
    this.#hits = 0;
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
    this.#ring = [];
    this.#ringAt = 0;
    this.#size = 0;
  }
}
