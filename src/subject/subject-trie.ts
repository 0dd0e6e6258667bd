/** The values added under one pattern, in insertion order, with their global sequence numbers. */
class Bucket<T> {
  // Keyed by value: (pattern, value) pairs are a set, and removal is O(1). A Map iterates in
  // insertion order, which is seq order because a re-added value gets a new, larger seq.
  readonly seqOf = new Map<T, number>();
  #values: readonly T[] | undefined;
  #seqs: readonly number[] | undefined;

  changed(): void {
    this.#values = undefined;
    this.#seqs = undefined;
  }

  /** Frozen and rebuilt only after a change, so a miss can hand it out as its result as is. */
  values(): readonly T[] {
    return (this.#values ??= Object.freeze([...this.seqOf.keys()]));
  }

  seqs(): readonly number[] {
    return (this.#seqs ??= [...this.seqOf.values()]);
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

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Collects the buckets whose patterns match `tokens[i..]` below `node`. Work grows with the tokens
 * of the type and the wildcard branches actually present, not with the number of patterns.
 */
function collect<T>(node: TrieNode<T>, tokens: readonly string[], i: number, out: Bucket<T>[]): void {
  if (i === tokens.length) {
    if (node.exact !== undefined) out.push(node.exact);
    return;
  }
  if (node.full !== undefined) out.push(node.full);
  const next = node.literals?.get(tokens[i]!);
  if (next !== undefined) collect(next, tokens, i + 1, out);
  if (node.star !== undefined) collect(node.star, tokens, i + 1, out);
}

/** Restores the min-heap of bucket numbers, keyed by the seq at each bucket's read position. */
function siftDown(heap: number[], seqs: (readonly number[])[], pos: number[], size: number): void {
  let i = 0;
  const j = heap[0]!;
  const key = seqs[j]![pos[j]!]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let cKey = seqs[heap[c]!]![pos[heap[c]!]!]!;
    if (c + 1 < size) {
      const rKey = seqs[heap[c + 1]!]![pos[heap[c + 1]!]!]!;
      if (rKey < cKey) {
        c++;
        cKey = rKey;
      }
    }
    if (key < cKey) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = j;
}

/**
 * A token trie of (pattern, value) entries that returns matches in insertion order. It takes
 * tokens, not strings: validation and caching belong to {@link SubjectIndex}.
 */
export class SubjectTrie<T> {
  #root = new TrieNode<T>();
  #seq = 0;
  // Scratch space reused by every match, so a miss allocates little beyond its result.
  readonly #buckets: Bucket<T>[] = [];
  readonly #heap: number[] = [];
  readonly #pos: number[] = [];
  readonly #seqs: (readonly number[])[] = [];
  readonly #values: (readonly T[])[] = [];

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
    if (bucket.seqOf.has(value)) return false;
    bucket.seqOf.set(value, this.#seq++);
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
    if (bucket?.seqOf.delete(value) !== true) return false;
    bucket.changed();
    if (bucket.seqOf.size > 0) return true;
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

  /** The values of every entry whose pattern matches `tokens`, in insertion order, frozen. */
  match(tokens: readonly string[]): readonly T[] {
    const buckets = this.#buckets;
    collect(this.#root, tokens, 0, buckets);
    const result = buckets.length === 0 ? EMPTY : buckets.length === 1 ? buckets[0]!.values() : this.#merge();
    buckets.length = 0;
    return result;
  }

  clear(): void {
    this.#root = new TrieNode<T>();
  }

  /**
   * K-way merge of the collected buckets by seq (each bucket is already in seq order): a heap keeps
   * it O(n log k) even when a type matches many distinct patterns.
   */
  #merge(): readonly T[] {
    const buckets = this.#buckets;
    const heap = this.#heap;
    const pos = this.#pos;
    const seqs = this.#seqs;
    const values = this.#values;
    const k = buckets.length;
    for (let j = 0; j < k; j++) {
      heap[j] = j;
      pos[j] = 0;
      seqs[j] = buckets[j]!.seqs();
      values[j] = buckets[j]!.values();
    }
    // Heapify by sifting each bucket number up from the bottom; k is small, so this stays cheap.
    for (let i = 1; i < k; i++) {
      const j = heap[i]!;
      const key = seqs[j]![0]!;
      let c = i;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (seqs[heap[parent]!]![0]! <= key) break;
        heap[c] = heap[parent]!;
        c = parent;
      }
      heap[c] = j;
    }
    const out: T[] = [];
    let size = k;
    while (size > 1) {
      const j = heap[0]!;
      const p = pos[j]!;
      out.push(values[j]![p]!);
      if (p + 1 === seqs[j]!.length) heap[0] = heap[--size]!;
      else pos[j] = p + 1;
      siftDown(heap, seqs, pos, size);
    }
    const last = heap[0]!;
    const rest = values[last]!;
    for (let p = pos[last]!; p < rest.length; p++) out.push(rest[p]!);
    // Drop the references so the scratch space does not keep old snapshots alive.
    seqs.length = 0;
    values.length = 0;
    return Object.freeze(out);
  }
}
