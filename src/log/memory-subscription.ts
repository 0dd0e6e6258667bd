import type { EventList } from './event-list.js';
import type { Notifier } from './notifier.js';
import type { LogSubscription, StoredEvent } from './types.js';

/** What a memory subscription needs from its log. Internal. */
export interface MemorySubscriptionHost {
  readonly events: EventList;
  readonly appended: Notifier;
  readonly closed: boolean;
  /** Called once when the subscription closes, so the log stops tracking it. */
  forget(subscription: MemorySubscription): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The memory log's live tail. It reads by position after the last position it examined, so
 * history and live events come from the same walk: nothing to race at the switch. It holds at
 * most `batchSize` events read ahead; when it has caught up it waits for the next append's
 * notification (no polling). Internal: obtained through `log.subscribe()`.
 */
export class MemorySubscription implements LogSubscription {
  readonly #host: MemorySubscriptionHost;
  readonly #matches: (event: StoredEvent) => boolean;
  readonly #batchSize: number;
  #buffer: StoredEvent[] = [];
  #next = 0;
  /** The last position examined (handed out, buffered or skipped). */
  #scanned: number;
  #position = 0;
  #closed = false;
  readonly #wakers = new Set<() => void>();

  constructor(
    host: MemorySubscriptionHost,
    after: number,
    matches: (event: StoredEvent) => boolean,
    batchSize: number,
  ) {
    this.#host = host;
    this.#scanned = after;
    this.#matches = matches;
    this.#batchSize = batchSize;
  }

  get position(): number {
    return this.#position;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<StoredEvent, undefined>> {
    for (;;) {
      if (this.#closed) return DONE;
      if (this.#next < this.#buffer.length) {
        const event = this.#buffer[this.#next++]!;
        this.#position = event.position;
        return { done: false, value: event };
      }
      this.#fill();
      if (this.#next < this.#buffer.length) continue;
      if (this.#host.closed) {
        this.#close();
        return DONE;
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          off();
          this.#wakers.delete(wake);
          resolve();
        };
        const off = this.#host.appended.on(wake);
        this.#wakers.add(wake);
      });
    }
  }

  async return(): Promise<IteratorResult<StoredEvent, undefined>> {
    await this.close();
    return DONE;
  }

  close(): Promise<void> {
    if (!this.#closed) this.#close();
    return Promise.resolve();
  }

  #close(): void {
    this.#closed = true;
    this.#buffer = [];
    this.#next = 0;
    this.#host.forget(this);
    for (const wake of this.#wakers) wake();
    this.#wakers.clear();
  }

  /** Reads up to `batchSize` matching events after `#scanned`. */
  #fill(): void {
    const events = this.#host.events;
    const buffer: StoredEvent[] = [];
    for (let i = events.upperBound(this.#scanned); buffer.length < this.#batchSize; i++) {
      const event = events.at(i);
      if (event === undefined) break;
      this.#scanned = event.position;
      if (this.#matches(event)) buffer.push(event);
    }
    this.#buffer = buffer;
    this.#next = 0;
  }
}
