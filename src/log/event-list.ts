import type { ReadFilter } from './read-filter.js';
import type { StoredEvent } from './types.js';

/** A number an event is sorted by in an `EventList`: its position, version or recorded time. */
export type EventKey = (event: StoredEvent) => number;

export const byPosition: EventKey = (e) => e.position;
export const byVersion: EventKey = (e) => e.version ?? 0;
export const byRecorded: EventKey = (e) => Date.parse(e.recordedat);

// Dropping from the head only moves an offset; the array is compacted once the dead head is
// both large and most of it, so trimming stays O(1) amortised without an unbounded dead prefix.
const COMPACT_FROM = 1024;

/**
 * The memory log's storage: events in position order (with holes where events were deleted)
 * in one array, found by binary search. `generation` changes whenever indices of stored events
 * move (deletes), so a walker can tell when to find its place again by position. Internal.
 */
export class EventList {
  #items: StoredEvent[] = [];
  #head = 0;
  generation = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  at(index: number): StoredEvent | undefined {
    return index < 0 ? undefined : this.#items[this.#head + index];
  }

  last(): StoredEvent | undefined {
    return this.length === 0 ? undefined : this.#items[this.#items.length - 1];
  }

  push(event: StoredEvent): void {
    this.#items.push(event);
  }

  /** The index of the first event whose key is >= `value` (keys never decrease along the list). */
  lowerBound(value: number, key: EventKey = byPosition): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(this.at(mid)!) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first event whose key is > `value`. */
  upperBound(value: number, key: EventKey = byPosition): number {
    return this.lowerBound(Math.floor(value) + 1, key);
  }

  /** The stored event at `position`, if any. */
  find(position: number): StoredEvent | undefined {
    // Without holes before it, an event's index is its distance from the first: one look.
    const first = this.at(0);
    if (first !== undefined) {
      const guess = this.at(position - first.position);
      if (guess?.position === position) return guess;
    }
    const event = this.at(this.lowerBound(position));
    return event?.position === position ? event : undefined;
  }

  /** Removes the first `count` events and returns them. */
  dropHead(count: number): StoredEvent[] {
    if (count <= 0) return [];
    const dropped = this.#items.slice(this.#head, this.#head + count);
    this.#head += dropped.length;
    if (this.#head >= COMPACT_FROM && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.generation++;
    return dropped;
  }

  /** Removes every event `drop` selects (one pass, O(n)); returns the removed ones. */
  removeWhere(drop: (event: StoredEvent) => boolean): StoredEvent[] {
    const kept: StoredEvent[] = [];
    const removed: StoredEvent[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const event = this.#items[i]!;
      (drop(event) ? removed : kept).push(event);
    }
    if (removed.length > 0) {
      this.#items = kept;
      this.#head = 0;
      this.generation++;
    }
    return removed;
  }

  /**
   * Walks the events from index `start` up (or down), lazily: between steps the list may change;
   * the walk then finds its place again by the last position it yielded.
   */
  *walk(start: number, forward: boolean): Generator<StoredEvent, void, undefined> {
    let generation = this.generation;
    let index = start;
    let lastPosition: number | undefined;
    for (;;) {
      if (this.generation !== generation && lastPosition !== undefined) {
        generation = this.generation;
        index = forward ? this.upperBound(lastPosition) : this.lowerBound(lastPosition) - 1;
      }
      const event = this.at(index);
      if (event === undefined) return;
      lastPosition = event.position;
      index += forward ? 1 : -1;
      yield event;
    }
  }
}

/** Where a read starts in `list` (the whole log, or one stream's events). Shared by the memory log and the NATS log's index. */
export function startIndex(list: EventList, filter: ReadFilter): number {
  const { from, fromVersion } = filter;
  if (filter.direction === 'forward') {
    let index =
      from === 'start'
        ? 0
        : from === 'end'
          ? list.length
          : from instanceof Date
            ? list.lowerBound(from.getTime(), byRecorded)
            : list.lowerBound(from);
    if (fromVersion !== undefined) index = Math.max(index, list.lowerBound(fromVersion, byVersion));
    return index;
  }
  let index =
    from === 'start'
      ? -1
      : from === 'end'
        ? list.length - 1
        : from instanceof Date
          ? list.upperBound(from.getTime(), byRecorded) - 1
          : list.upperBound(from) - 1;
  if (fromVersion !== undefined) index = Math.min(index, list.upperBound(fromVersion, byVersion) - 1);
  return index;
}
