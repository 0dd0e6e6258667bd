import { waitForAny } from '../../log/notifier.js';
import { PagedTail } from '../../log/paged-tail.js';
import type { StoredEvent } from '../../log/types.js';
import type { LogContext } from './log-context.js';
import type { ReadPlan } from './read-plan.js';

/**
 * The SQLite log's live tail: pages by position after the last position examined, so history and
 * live events come from the same query and nothing races at the switch. It holds at most
 * `batchSize` events; when caught up it waits for the next round of appends in this process,
 * or `pollIntervalMs` at most, which is how appends by other processes on the same file are
 * seen. Internal: obtained through `log.subscribe()`.
 */
export class SqliteSubscription extends PagedTail {
  readonly #ctx: LogContext;
  readonly #plan: ReadPlan;
  readonly #batchSize: number;
  /** Only events recorded at or after this (a subscription from a future date). */
  readonly #minRecorded: number;
  readonly #onClose: (subscription: SqliteSubscription) => void;
  readonly #stop = new AbortController();

  constructor(
    ctx: LogContext,
    plan: ReadPlan,
    options: { batchSize: number; minRecorded: number; onClose: (subscription: SqliteSubscription) => void },
  ) {
    super();
    this.#ctx = ctx;
    this.#plan = plan;
    this.#batchSize = options.batchSize;
    this.#minRecorded = options.minRecorded;
    this.#onClose = options.onClose;
  }

  protected readPage(): StoredEvent[] {
    const page: StoredEvent[] = [];
    for (const row of this.#ctx.readPage(this.#plan, this.#batchSize)) {
      const event = JSON.parse(row) as StoredEvent;
      if (this.#minRecorded === -Infinity || Date.parse(event.recordedat) >= this.#minRecorded)
        page.push(event);
    }
    return page;
  }

  protected sourceClosed(): boolean {
    return this.#ctx.closed;
  }

  /** The next round of appends in this process, or `pollIntervalMs` (other processes' appends). */
  protected async waitForMore(): Promise<void> {
    await waitForAny([this.#ctx.appended], this.#ctx.options.pollIntervalMs, this.#stop.signal);
  }

  protected onClosed(): void {
    this.#stop.abort();
    this.#onClose(this);
  }
}
