const EMPTY: readonly never[] = [];

/** The values added under one pattern: a Set for O(1) membership and removal (pairs are a set). */
type Members<T> = Set<T>;
class TrieNode<T> {
  literals: Map<string, TrieNode<T>> | undefined;
  star: TrieNode<T> | undefined;
  /** Patterns that end here with `>`: they match when at least one more token remains. */
  full: Members<T> | undefined;
  /** Patterns that end exactly here. */
  exact: Members<T> | undefined;
  // Snapshots of `full` and `exact` read by matches, on the node itself: a match reads one array
  // per matching pattern, and a hop through another object per pattern measured slower on
  // bench/match.ts. Undefined when the set changed (or is absent): rebuilt on the next read.
  fullValues: readonly T[] | undefined;
  exactValues: readonly T[] | undefined;

  fullSnapshot(): readonly T[] {
    return (this.fullValues ??= this.full ? [...this.full] : EMPTY);
  }

  exactSnapshot(): readonly T[] {
    return (this.exactValues ??= this.exact ? [...this.exact] : EMPTY);
  }

  isEmpty(): boolean {
    return (
      this.literals === undefined &&
      this.star === undefined &&
      this.full === undefined &&
      this.exact === undefined
    );
  }
}

/** Appends `values` to `out` at `at`; returns the new length. */
function put<T>(out: T[], at: number, values: readonly T[]): number {
  for (let v = 0; v < values.length; v++) out[at++] = values[v]!;
  return at;
}

/**
 * Writes into `out` from `at` the values of the patterns that match `tokens[i..]` below `node`;
 * returns the new end. Work grows with the tokens of the type and the wildcard branches actually
 * present, not with the number of patterns. The literal branch is followed in a loop (only `*`
 * branches recurse), snapshots are read from the node itself, and values are written by index into
 * scratch space that keeps its size: measured on bench/match.ts's random types (about 9 calls, 11
 * literal lookups and 40 values per type), the trie went from 0.84x to 1.5x of qlobber with the
 * loop and scratch space, and to 1.9x with the last two. Interning tokens to numbers (one string
 * lookup per token, then number keys) measured no faster: a sliced token's hash is computed once
 * and kept by the string. A lazily built automaton (trie states memoised per prefix, one lookup per
 * token) measured slower than the walk on random types at every budget short of holding every
 * prefix, and only 1.6x faster holding all 51,000: its states do not fit the CPU caches either.
 */
function collect<T>(node: TrieNode<T>, tokens: readonly string[], i: number, out: T[], at: number): number {
  const n = tokens.length;
  for (;;) {
    if (i === n) {
      if (node.exact !== undefined) at = put(out, at, node.exactValues ?? node.exactSnapshot());
      return at;
    }
    if (node.full !== undefined) at = put(out, at, node.fullValues ?? node.fullSnapshot());
    const star = node.star;
    if (star !== undefined) at = collect(star, tokens, i + 1, out, at);
    const next = node.literals?.get(tokens[i]!);
    if (next === undefined) return at;
    node = next;
    i++;
  }
}

/**
 * A token trie of (pattern, value) entries. It takes tokens, not strings: validation and caching
 * belong to {@link SubjectIndex}. Results come in trie-walk order (deterministic for a given set
 * of entries), not insertion order: ordering cost more than the walk and nothing needs it.
 */
export class SubjectTrie<T> {
  #root = new TrieNode<T>();
  // Scratch space reused by every match, so a miss allocates nothing beyond its result.
  readonly #scratch: T[] = [];

  /** Adds the entry; returns false if this (pattern, value) pair was already present. */
  add(tokens: readonly string[], value: T): boolean {
    const full = tokens[tokens.length - 1] === '>';
    const depth = full ? tokens.length - 1 : tokens.length;
    let node = this.#root;
    for (let i = 0; i < depth; i++) {
      const token = tokens[i]!;
      if (token === '*') {
        node = node.star ??= new TrieNode<T>();
      } else {
        const literals = (node.literals ??= new Map<string, TrieNode<T>>());
        let child = literals.get(token);
        if (child === undefined) literals.set(token, (child = new TrieNode<T>()));
        node = child;
      }
    }
    const members = full ? (node.full ??= new Set<T>()) : (node.exact ??= new Set<T>());
    if (members.has(value)) return false;
    members.add(value);
    if (full) node.fullValues = undefined;
    else node.exactValues = undefined;
    return true;
  }

  /** Removes the entry and prunes the nodes it leaves empty; returns whether it was present. */
  remove(tokens: readonly string[], value: T): boolean {
    const full = tokens[tokens.length - 1] === '>';
    const depth = full ? tokens.length - 1 : tokens.length;
    const path: TrieNode<T>[] = [this.#root];
    for (let i = 0; i < depth; i++) {
      const node = path[i]!;
      const next = tokens[i] === '*' ? node.star : node.literals?.get(tokens[i]!);
      if (next === undefined) return false;
      path.push(next);
    }
    const node = path[depth]!;
    const members = full ? node.full : node.exact;
    if (members?.delete(value) !== true) return false;
    if (full) node.fullValues = undefined;
    else node.exactValues = undefined;
    if (members.size > 0) return true;
    if (full) node.full = undefined;
    else node.exact = undefined;
    for (let i = depth; i > 0 && path[i]!.isEmpty(); i--) {
      const parent = path[i - 1]!;
      if (tokens[i - 1] === '*') {
        parent.star = undefined;
      } else {
        parent.literals!.delete(tokens[i - 1]!);
        if (parent.literals!.size === 0) parent.literals = undefined;
      }
    }
    return true;
  }

  /** The values of every entry whose pattern matches `tokens` (a new array, or a shared empty one). */
  match(tokens: readonly string[]): readonly T[] {
    // Collected into reused scratch space, then copied once at the exact size: growing a fresh
    // array push by push reallocated it several times per match.
    const scratch = this.#scratch;
    const n = collect(this.#root, tokens, 0, scratch, 0);
    if (n === 0) return EMPTY;
    // The scratch array keeps its largest size; only its first n slots are this match's. Stale
    // slots past n hold values that are still entries or were removed: cleared when they are not
    // overwritten soon, so a removed value is not kept alive by the scratch space for long.
    const result = scratch.slice(0, n);
    if (scratch.length > 4 * n + 64) scratch.length = n;
    return result;
  }

  clear(): void {
    this.#root = new TrieNode<T>();
  }
}
