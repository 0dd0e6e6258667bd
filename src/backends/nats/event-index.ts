import { EventList, byRecorded } from '../../log/event-list.js';
import { startIndex } from '../../log/event-list.js';
import type { MemorySubscription, MemorySubscriptionHost } from '../../log/memory-subscription.js';
import { Notifier } from '../../log/notifier.js';
import { matchesReadFilter, type ReadFilter } from '../../log/read-filter.js';
import type { HeraldEvent } from '../../event/types.js';
import type { Appended, LogPosition, StoredEvent } from '../../log/types.js';

/**
 * This process's index of one JetStream stream: every stored event by position (the JetStream
 * sequence), by id and by Herald stream. The ordered consumer feeds it in sequence order, so
 * reads, stream versions and the dedup of ids older than the duplicate window are answered here
 * without a round trip per event. Internal.
 */
export class EventIndex implements MemorySubscriptionHost {
  readonly events = new EventList();
  readonly appended = new Notifier();
  readonly #ids = new Map<string, StoredEvent>();
  readonly #streams = new Map<string, EventList>();
  readonly #subscriptions = new Set<MemorySubscription>();
  /** The highest sequence decided on (visible or not): reads and tails stop there. */
  lastSeq = 0;
  closed = false;

  forget(subscription: MemorySubscription): void {
    this.#subscriptions.delete(subscription);
  }

  track(subscription: MemorySubscription): void {
    this.#subscriptions.add(subscription);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    this.appended.notify();
  }

  /** Everything up to `seq` is decided (visible events added, the rest never will be). */
  decide(seq: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.appended.notify();
  }

  /** Adds the event stored at sequence `event.position`; older sequences were seen already. */
  add(event: StoredEvent): void {
    if (event.position <= this.lastSeq) return;
    this.lastSeq = event.position;
    this.events.push(event);
    this.#ids.set(event.id, event);
    if (event.stream !== undefined) {
      let list = this.#streams.get(event.stream);
      if (list === undefined) this.#streams.set(event.stream, (list = new EventList()));
      list.push(event);
    }
    this.appended.notify();
  }

  byId(id: string): StoredEvent | undefined {
    return this.#ids.get(id);
  }

  streamVersion(stream: string): number {
    return this.#streams.get(stream)?.last()?.version ?? 0;
  }

  streamEvents(stream: string): readonly StoredEvent[] {
    const list = this.#streams.get(stream);
    if (list === undefined) return [];
    return Array.from({ length: list.length }, (_, i) => list.at(i)!);
  }

  /** Forgets the events `drop` selects (after JetStream deleted them); returns them. */
  remove(drop: (event: StoredEvent) => boolean): StoredEvent[] {
    const removed = this.events.removeWhere(drop);
    for (const event of removed) {
      this.#ids.delete(event.id);
      const list = event.stream === undefined ? undefined : this.#streams.get(event.stream);
      if (list === undefined) continue;
      list.removeWhere((e) => e === event);
      // The stream keeps its version while its last event stays; an emptied stream starts again.
      if (list.length === 0) this.#streams.delete(event.stream!);
    }
    return removed;
  }

  /** Events before sequence `firstSeq` (JetStream removed them: limits or another process). */
  dropBelow(firstSeq: number): StoredEvent[] {
    return this.events.at(0) !== undefined && this.events.at(0)!.position < firstSeq
      ? this.remove((e) => e.position < firstSeq)
      : [];
  }

  /** Events recorded before `ms`. */
  recordedBefore(ms: number): StoredEvent[] {
    const end = this.events.lowerBound(ms, byRecorded);
    return Array.from({ length: end }, (_, i) => this.events.at(i)!);
  }

  *read(filter: ReadFilter, end: number, assertOpen: () => void): Generator<StoredEvent, void, undefined> {
    const list = filter.stream === undefined ? this.events : this.#streams.get(filter.stream);
    if (list === undefined || filter.limit === 0) return;
    let count = 0;
    for (const event of list.walk(startIndex(list, filter), filter.direction === 'forward')) {
      assertOpen();
      if (event.position > end) return;
      if (!matchesReadFilter(event, filter)) continue;
      yield event;
      if (++count >= filter.limit) return;
    }
  }

  /** In batch order: the first copy of an id stored by this call is new, the rest duplicates. */
  results(events: readonly HeraldEvent[], storedNow: ReadonlySet<string>): Appended[] {
    const reported = new Set<string>();
    return events.map((event) => {
      const stored = this.byId(event.id)!;
      const duplicate = !storedNow.has(event.id) || reported.has(event.id);
      reported.add(event.id);
      return {
        id: stored.id,
        position: stored.position,
        stream: stored.stream,
        version: stored.version,
        duplicate,
      };
    });
  }

  /** The first position a consumer group starting at `startAt` takes (the index is current). */
  startPosition(startAt: LogPosition): number {
    if (startAt === 'start') return 1;
    if (startAt === 'end') return this.lastSeq + 1;
    if (typeof startAt === 'number') return startAt;
    return (
      this.events.at(this.events.lowerBound(startAt.getTime(), byRecorded))?.position ?? this.lastSeq + 1
    );
  }
}
