const EMPTY: readonly never[] = [];

/** The values added under one pattern. */
class Bucket<T> {
  // A Set for O(1) membership and removal: (pattern, value) pairs are a set.
  readonly members = new Set<T>();
  /** Snapshot read by misses; never mutated. */
  values: readonly T[] = EMPTY;
  // A plain field, not #private: it is read on every miss, where the brand check shows.
  stale = true;

  changed(): void {
    this.stale = true;
  }

  /** The snapshot, rebuilt after a change (at most once per change, on the next miss). */
  fresh(): readonly T[] {
    if (this.stale) {
      this.values = [...this.members];
      this.stale = false;
    }
    return this.values;
  }
}

class TrieNode<T> {
  literals: Map<string, TrieNode<T>> | undefined;
  star: TrieNode<T> | undefined;
  /** Patterns that end here with `>`: they match when at least one more token remains. */
  full: Bucket<T> | undefined;
  /** Patterns that end exactly here. */
  exact: Bucket<T> | undefined;

  isEmpty(): boolean {
    return (
      this.literals === undefined &&
      this.star === undefined &&
      this.full === undefined &&
      this.exact === undefined
    );
  }
}

function push<T>(out: T[], values: readonly T[]): void {
  for (let v = 0; v < values.length; v++) out.push(values[v]!);
}

/**
 * Collects into `out` the values of the patterns that match `tokens[i..]` below `node`. Work grows
 * with the tokens of the type and the wildcard branches actually present, not with the number of
 * patterns. The literal branch is followed in a loop (only `*` branches recurse) and a bucket's
 * snapshot is read as a field: measured on bench/match.ts's random types, with the scratch array
 * below, the trie went from 0.84x to 1.5x-2.6x of qlobber. Interning tokens to numbers (one string
 * lookup per token, then number keys) measured no faster: a sliced token's hash is computed once
 * and kept by the string.
 */
function collect<T>(node: TrieNode<T>, tokens: readonly string[], i: number, out: T[]): void {
  const n = tokens.length;
  for (;;) {
    if (i === n) {
      const exact = node.exact;
      if (exact !== undefined) push(out, exact.stale ? exact.fresh() : exact.values);
      return;
    }
    const full = node.full;
    if (full !== undefined) push(out, full.stale ? full.fresh() : full.values);
    const star = node.star;
    if (star !== undefined) collect(star, tokens, i + 1, out);
    const next = node.literals?.get(tokens[i]!);
    if (next === undefined) return;
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
    const bucket = full ? (node.full ??= new Bucket<T>()) : (node.exact ??= new Bucket<T>());
    if (bucket.members.has(value)) return false;
    bucket.members.add(value);
    bucket.changed();
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
    const bucket = full ? node.full : node.exact;
    if (bucket?.members.delete(value) !== true) return false;
    bucket.changed();
    if (bucket.members.size > 0) return true;
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
    collect(this.#root, tokens, 0, scratch);
    if (scratch.length === 0) return EMPTY;
    const result = scratch.slice();
    scratch.length = 0;
    return result;
  }

  clear(): void {
    this.#root = new TrieNode<T>();
  }
}
