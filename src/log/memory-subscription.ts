import type { EventList } from './event-list.js';
import type { Notifier } from './notifier.js';
import { PagedTail } from './paged-tail.js';
import type { StoredEvent } from './types.js';

/** What a memory subscription needs from its log. Internal. */
export interface MemorySubscriptionHost {
  readonly events: EventList;
  readonly appended: Notifier;
  readonly closed: boolean;
  /** Called once when the subscription closes, so the log stops tracking it. */
  forget(subscription: MemorySubscription): void;
}

/**
 * The memory log's live tail. It reads by position after the last position it examined, so
 * history and live events come from the same walk: nothing to race at the switch. It holds at
 * most `batchSize` events read ahead; when it has caught up it waits for the next append's
 * notification (no polling). Internal: obtained through `log.subscribe()`.
 */
export class MemorySubscription extends PagedTail {
  readonly #host: MemorySubscriptionHost;
  readonly #matches: (event: StoredEvent) => boolean;
  readonly #batchSize: number;
  /** The last position examined (handed out, buffered or skipped). */
  #scanned: number;
  readonly #wakers = new Set<() => void>();

  constructor(
    host: MemorySubscriptionHost,
    after: number,
    matches: (event: StoredEvent) => boolean,
    batchSize: number,
  ) {
    super();
    this.#host = host;
    this.#scanned = after;
    this.#matches = matches;
    this.#batchSize = batchSize;
  }

  /** Reads up to `batchSize` matching events after `#scanned`. */
  protected readPage(): StoredEvent[] {
    const events = this.#host.events;
    const page: StoredEvent[] = [];
    for (let i = events.upperBound(this.#scanned); page.length < this.#batchSize; i++) {
      const event = events.at(i);
      if (event === undefined) break;
      this.#scanned = event.position;
      if (this.#matches(event)) page.push(event);
    }
    return page;
  }

  protected sourceClosed(): boolean {
    return this.#host.closed;
  }

  /** Waits for the next append's notification (no polling); close wakes it too. */
  protected waitForMore(): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        off();
        this.#wakers.delete(wake);
        resolve();
      };
      const off = this.#host.appended.on(wake);
      this.#wakers.add(wake);
    });
  }

  protected onClosed(): void {
    this.#host.forget(this);
    for (const wake of this.#wakers) wake();
    this.#wakers.clear();
  }
}
