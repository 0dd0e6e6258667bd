import { waitForAny } from '../../log/notifier.js';
import type { LogSubscription, StoredEvent } from '../../log/types.js';
import type { LogContext } from './log-context.js';
import type { ReadPlan } from './read-plan.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The SQLite log's live tail: pages by position after the last position examined, so history and
 * live events come from the same query and nothing races at the switch. It holds at most
 * `batchSize` events; when caught up it waits for the next round of appends in this process,
 * or `pollIntervalMs` at most, which is how appends by other processes on the same file are
 * seen. Internal: obtained through `log.subscribe()`.
 */
export class SqliteSubscription implements LogSubscription {
  readonly #ctx: LogContext;
  readonly #plan: ReadPlan;
  readonly #batchSize: number;
  /** Only events recorded at or after this (a subscription from a future date). */
  readonly #minRecorded: number;
  readonly #onClose: (subscription: SqliteSubscription) => void;
  readonly #stop = new AbortController();
  #buffer: StoredEvent[] = [];
  #next = 0;
  #position = 0;
  #closed = false;

  constructor(
    ctx: LogContext,
    plan: ReadPlan,
    options: { batchSize: number; minRecorded: number; onClose: (subscription: SqliteSubscription) => void },
  ) {
    this.#ctx = ctx;
    this.#plan = plan;
    this.#batchSize = options.batchSize;
    this.#minRecorded = options.minRecorded;
    this.#onClose = options.onClose;
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
      if (this.#ctx.closed) {
        await this.close();
        return DONE;
      }
      this.#fill();
      if (this.#next < this.#buffer.length) continue;
      await waitForAny([this.#ctx.appended], this.#ctx.options.pollIntervalMs, this.#stop.signal);
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
      this.#stop.abort();
      this.#onClose(this);
    }
    return Promise.resolve();
  }

  #fill(): void {
    const rows = this.#ctx.readPage(this.#plan, this.#batchSize);
    const buffer: StoredEvent[] = [];
    for (const row of rows) {
      const event = JSON.parse(row) as StoredEvent;
      if (this.#minRecorded === -Infinity || Date.parse(event.recordedat) >= this.#minRecorded)
        buffer.push(event);
    }
    this.#buffer = buffer;
    this.#next = 0;
  }
}
