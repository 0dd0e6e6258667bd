import type { LogPosition, LogSubscription, StoredEvent } from './types.js';

/** Where a server-backed tail starts: after a position, or at the first event recorded at or after a time. */
export type TailStart = { readonly after: number } | { readonly recordedFrom: Date };

/**
 * The start of a tail from a checked `from`: `'end'` is the last position this process knows of
 * (`knownLast`), a position is inclusive.
 *
 * @example
 * ```ts
 * tailStart(5, 10); // { after: 4 }
 * ```
 */
export function tailStart(from: LogPosition, knownLast: number): TailStart {
  if (from instanceof Date) return { recordedFrom: from };
  return { after: from === 'start' ? 0 : from === 'end' ? knownLast : Math.max(0, from - 1) };
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The iterator shell every backend's live tail shares: it hands out one page of events at a time
 * (read by position after the last one examined, so history and live events come from the same
 * read and nothing races at the switch), and when a page comes back empty it waits for more.
 * At most one page is held, however slow the consumer. A backend supplies how to read a page,
 * how to wait, and what to release on close.
 *
 * @example
 * ```ts
 * class ArrayTail extends PagedTail {
 *   protected readPage() { return this.source.splice(0, 100); }
 *   protected sourceClosed() { return false; }
 *   protected waitForMore() { return new Promise<void>((r) => setTimeout(r, 100)); }
 *   protected onClosed() {}
 * }
 * ```
 */
export abstract class PagedTail implements LogSubscription {
  #buffer: StoredEvent[] = [];
  #next = 0;
  #position = 0;
  #closed = false;

  /** The last position handed out (0 before the first). */
  get position(): number {
    return this.#position;
  }

  /** True once `close()` (or `return()`) ran. */
  protected get closed(): boolean {
    return this.#closed;
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
      if (this.sourceClosed()) {
        await this.close();
        return DONE;
      }
      // A backend that queries a server reads asynchronously; an array is used as it is.
      const page = this.readPage();
      this.#buffer = Array.isArray(page) ? page : await page;
      this.#next = 0;
      if (this.#buffer.length > 0) continue;
      await this.waitForMore();
    }
  }

  async return(): Promise<IteratorResult<StoredEvent, undefined>> {
    await this.close();
    return DONE;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#buffer = [];
      this.#next = 0;
      this.onClosed();
    }
    return Promise.resolve();
  }

  /**
   * The next page of matching events after the last one examined (empty when caught up), or a
   * promise of it. Never called again before the previous page was taken.
   */
  protected abstract readPage(): StoredEvent[] | Promise<StoredEvent[]>;
  /** True when the log itself is closed: the tail ends. */
  protected abstract sourceClosed(): boolean;
  /** Resolves when more events may be there (an append, a poll interval, or close). */
  protected abstract waitForMore(): Promise<void>;
  /** Releases what the backend holds for this tail (waiters, registrations). */
  protected abstract onClosed(): void;
}
