import type { ReadFilter } from '../../log/read-filter.js';
import type { StoredEvent } from '../../log/types.js';
import type { PgContext } from './log-context.js';
import { planRead, readPage, type ReadPlan } from './read-plan.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One iteration of `log.read()`: the events a checked read selects, fetched lazily one page
 * (`readPageSize` rows) at a time, so memory stays flat however many events the read walks. The
 * plan (and so the end: the last position assigned) is fixed at the first step; a log closed
 * meanwhile rejects the next step with `LOG_CLOSED`. Each page is one statement, tried again
 * while the server is unreachable: the cursor says where to go on.
 *
 * @example
 * ```ts
 * const iterable = { [Symbol.asyncIterator]: () => new EventReader(ctx, readFilter(options)) };
 * ```
 */
export class EventReader implements AsyncIterableIterator<StoredEvent> {
  readonly #ctx: PgContext;
  readonly #filter: ReadFilter;
  #plan: ReadPlan | undefined;
  #rows: StoredEvent[] = [];
  #next = 0;
  #remaining: number;
  #exhausted = false;
  #done = false;

  constructor(ctx: PgContext, filter: ReadFilter) {
    this.#ctx = ctx;
    this.#filter = filter;
    this.#remaining = filter.limit;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<StoredEvent, undefined>> {
    if (this.#done) return DONE;
    this.#ctx.assertOpen();
    if (this.#next === this.#rows.length && !(await this.#fetch())) {
      this.#finish();
      return DONE;
    }
    return { done: false, value: this.#rows[this.#next++]! };
  }

  return(): Promise<IteratorResult<StoredEvent, undefined>> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  /** Reads the next page; false when the read is over. */
  async #fetch(): Promise<boolean> {
    if (this.#exhausted || this.#remaining <= 0) return false;
    this.#plan ??= await planRead(this.#ctx, this.#filter);
    const want = Math.min(this.#ctx.options.readPageSize, this.#remaining);
    this.#rows = await readPage(this.#ctx, this.#plan, want);
    this.#ctx.assertOpen();
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
