import type { ReadFilter } from '../../log/read-filter.js';
import type { StoredEvent } from '../../log/types.js';
import type { LogContext } from './log-context.js';
import { planRead, type ReadPlan } from './read-plan.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One iteration of `log.read()`: the events a checked read selects, fetched lazily one page
 * (`readPageSize` rows) at a time by a prepared statement, so memory stays flat however many
 * events the read walks. The plan (and so the end: the last position assigned) is fixed at the
 * first step; a log closed meanwhile rejects the next step with `LOG_CLOSED`.
 *
 * @example
 * ```ts
 * const iterable = { [Symbol.asyncIterator]: () => new EventReader(ctx, readFilter(options)) };
 * ```
 */
export class EventReader implements AsyncIterableIterator<StoredEvent> {
  readonly #ctx: LogContext;
  readonly #filter: ReadFilter;
  #plan: ReadPlan | undefined;
  #rows: string[] = [];
  #next = 0;
  #remaining: number;
  #exhausted = false;
  #done = false;

  constructor(ctx: LogContext, filter: ReadFilter) {
    this.#ctx = ctx;
    this.#filter = filter;
    this.#remaining = filter.limit;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StoredEvent, undefined>> {
    // Not `settle(() => ...)`: no closure per event on the hottest path of a catch-up read.
    try {
      return Promise.resolve(this.#step());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return(): Promise<IteratorResult<StoredEvent, undefined>> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  #step(): IteratorResult<StoredEvent, undefined> {
    if (this.#done) return DONE;
    this.#ctx.assertOpen();
    if (this.#next === this.#rows.length && !this.#fetch()) {
      this.#finish();
      return DONE;
    }
    return { done: false, value: JSON.parse(this.#rows[this.#next++]!) as StoredEvent };
  }

  /** Reads the next page; false when the read is over. */
  #fetch(): boolean {
    if (this.#exhausted || this.#remaining <= 0) return false;
    this.#plan ??= planRead(this.#ctx.sql, this.#filter);
    const want = Math.min(this.#ctx.options.readPageSize, this.#remaining);
    this.#rows = this.#ctx.readPage(this.#plan, want);
    this.#next = 0;
    this.#remaining -= this.#rows.length;
    // A short page means the range is exhausted: no query needed to learn it again.
    this.#exhausted = this.#rows.length < want;
    return this.#rows.length > 0;
  }

  #finish(): void {
    this.#done = true;
    this.#rows = [];
    this.#next = 0;
  }
}
