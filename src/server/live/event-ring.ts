import type { StoredEvent } from '../../log/types.js';
import { FeedEntry } from './feed-entry.js';

/**
 * The most recent events of the log tail, oldest evicted first (past `capacity` events, or
 * past `maxBytes` on `trim`). Invariant: it holds every event
 * with a position in `(floor, head]`, in position order, so a client whose last position is at
 * least `floor` can be served from memory without reading the log. Entries are addressed by
 * `seq`, a counter that never repeats, so a client's cursor survives evictions (a cursor below
 * `firstSeq` has fallen off).
 *
 * @example
 * ```ts
 * const ring = new EventRing(10_000, 64 * 1024 * 1024, lastPosition);
 * ring.push(event);
 * const from = ring.seqAfter(clientPosition); // first entry the client has not seen
 * ```
 */
export class EventRing {
  readonly capacity: number;
  readonly maxBytes: number;
  #bytes = 0;
  #slots: (FeedEntry | undefined)[];
  #first = 0;
  #next = 0;
  #floor: number;
  #head: number;

  constructor(capacity: number, maxBytes: number, startAfter: number) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.#slots = new Array<FeedEntry | undefined>(capacity);
    this.#floor = startAfter;
    this.#head = startAfter;
  }

  /** Seq of the oldest entry held. */
  get firstSeq(): number {
    return this.#first;
  }

  /** Seq the next pushed entry gets. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Every event after this position (up to `head`) is held. */
  get floor(): number {
    return this.#floor;
  }

  /** The last position pushed (`floor` when nothing was). */
  get head(): number {
    return this.#head;
  }

  /** Adds an event; returns the entry it evicted to make room, if any. */
  push(event: StoredEvent): { entry: FeedEntry; evicted: FeedEntry | undefined } {
    let evicted: FeedEntry | undefined;
    if (this.#next - this.#first === this.capacity) evicted = this.#evict();
    const entry = new FeedEntry(event, this.#next);
    this.#bytes += entry.size;
    this.#slots[this.#next % this.capacity] = entry;
    this.#next++;
    this.#head = event.position;
    return { entry, evicted };
  }

  /**
   * Evicts the oldest entries while the ring holds more than `maxBytes`, but none from
   * `keepFrom` on (entries not yet fanned out). Calls `onEvict` with each.
   */
  trim(keepFrom: number, onEvict: (entry: FeedEntry) => void): void {
    while (this.#bytes > this.maxBytes && this.#first < Math.min(keepFrom, this.#next)) {
      onEvict(this.#evict());
    }
  }

  #evict(): FeedEntry {
    const evicted = this.at(this.#first);
    this.#slots[this.#first % this.capacity] = undefined;
    this.#floor = evicted.position;
    this.#bytes -= evicted.size;
    this.#first++;
    return evicted;
  }

  /** The entry with this seq; the caller keeps `firstSeq <= seq < nextSeq`. */
  at(seq: number): FeedEntry {
    return this.#slots[seq % this.capacity]!;
  }

  /** The seq of the first entry with a position above `position` (`nextSeq` when none). */
  seqAfter(position: number): number {
    let low = this.#first;
    let high = this.#next;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.at(mid).position > position) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** The held entries, oldest first (for reporting their delivery counts). */
  *entries(): Generator<FeedEntry> {
    for (let seq = this.#first; seq < this.#next; seq++) yield this.at(seq);
  }
}
