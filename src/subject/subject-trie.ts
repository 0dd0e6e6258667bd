const EMPTY: readonly never[] = [];

/** The values added under one pattern. */
class Bucket<T> {
  // A Set for O(1) membership and removal: (pattern, value) pairs are a set.
  readonly members = new Set<T>();
  /** Snapshot read by misses; never mutated, so a single-bucket match hands it out as its result. */
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

/**
 * Collects the buckets whose patterns match `tokens[i..]` below `node`. Work grows with the tokens
 * of the type and the wildcard branches actually present, not with the number of patterns.
 */
function collect<T>(node: TrieNode<T>, tokens: readonly string[], i: number, out: (readonly T[])[]): void {
  if (i === tokens.length) {
    if (node.exact !== undefined) out.push(node.exact.fresh());
    return;
  }
  if (node.full !== undefined) out.push(node.full.fresh());
  const next = node.literals?.get(tokens[i]!);
  if (next !== undefined) collect(next, tokens, i + 1, out);
  if (node.star !== undefined) collect(node.star, tokens, i + 1, out);
}

/**
 * A token trie of (pattern, value) entries. It takes tokens, not strings: validation and caching
 * belong to {@link SubjectIndex}. Results come in trie-walk order (deterministic for a given set
 * of entries), not insertion order: ordering cost more than the walk and nothing needs it.
 */
export class SubjectTrie<T> {
  #root = new TrieNode<T>();
  // Scratch space reused by every match, so a miss allocates nothing beyond its result.
  readonly #buckets: (readonly T[])[] = [];

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

  /** The values of every entry whose pattern matches `tokens` (shared: read-only). */
  match(tokens: readonly string[]): readonly T[] {
    const buckets = this.#buckets;
    collect(this.#root, tokens, 0, buckets);
    const k = buckets.length;
    let result: readonly T[];
    if (k === 0) result = EMPTY;
    else if (k === 1) result = buckets[0]!;
    else {
      const out: T[] = [];
      for (let b = 0; b < k; b++) {
        const values = buckets[b]!;
        for (let v = 0; v < values.length; v++) out.push(values[v]!);
      }
      result = out;
    }
    buckets.length = 0;
    return result;
  }

  clear(): void {
    this.#root = new TrieNode<T>();
  }
}
