import { waitForAny } from '../../log/notifier.js';
import { PagedTail, type TailStart } from '../../log/paged-tail.js';
import type { StoredEvent } from '../../log/types.js';
import type { PgContext } from './log-context.js';

interface TailRow {
  readonly last: number;
  readonly event: StoredEvent | null;
}

/**
 * The PostgreSQL log's live tail: pages by position after the last position examined (history and
 * live events come from the same query, so nothing races at the switch), at most `batchSize`
 * events held. Transactions that append commit in position order, so a page never skips an event
 * that a later page would find. When caught up it waits for a notification (LISTEN/NOTIFY: this
 * process's appends, or any other's) or `pollIntervalMs` at most, the safety net. While the server
 * is unreachable it keeps trying (its cursor says where to go on) for as long as the log is open.
 * Internal: obtained through `log.subscribe()`.
 *
 * @example
 * ```ts
 * for await (const event of log.subscribe({ from: 'start', types: ['order.>'] })) console.log(event.position);
 * ```
 */
export class PgSubscription extends PagedTail {
  readonly #ctx: PgContext;
  readonly #regexes: string[] | null;
  readonly #batchSize: number;
  readonly #onClose: (subscription: PgSubscription) => void;
  readonly #stop = new AbortController();
  #start: TailStart | undefined;
  /** The last position examined. */
  #cursor = 0;
  /** Only events recorded at or after this (RFC 3339), for a tail from a time. */
  #minRecorded: string | null = null;
  /** `appended.seq` when the last page was asked for. */
  #seen = 0;

  constructor(
    ctx: PgContext,
    start: TailStart,
    options: {
      regexes: string[] | null;
      batchSize: number;
      onClose: (subscription: PgSubscription) => void;
    },
  ) {
    super();
    this.#ctx = ctx;
    this.#start = start;
    this.#regexes = options.regexes;
    this.#batchSize = options.batchSize;
    this.#onClose = options.onClose;
  }

  protected async readPage(): Promise<StoredEvent[]> {
    const ctx = this.#ctx;
    this.#seen = ctx.appended.seq;
    try {
      if (this.#start !== undefined) await this.#resolveStart(this.#start);
      if (this.#regexes?.length === 0) return [];
      const params = [this.#cursor, this.#regexes, this.#minRecorded, this.#batchSize];
      const { rows } = await this.#query<TailRow>('read-tail', params);
      const events: StoredEvent[] = [];
      for (const row of rows) if (row.event !== null) events.push(row.event);
      const last = rows[0]?.last ?? 0;
      ctx.noteLast(last);
      this.#cursor = events.length < this.#batchSize ? Math.max(this.#cursor, last) : events.at(-1)!.position;
      return events;
    } catch (error) {
      // A tail closed while its query was failing ends quietly.
      if (this.closed || ctx.closed) return [];
      throw error;
    }
  }

  /** The start of a tail from a time needs a query, so it is found at the first page. */
  async #resolveStart(start: TailStart): Promise<void> {
    if ('after' in start) this.#cursor = start.after;
    else {
      const from = start.recordedFrom.toISOString();
      const { rows } = await this.#query<{ first: number | null; last: number }>('select-first-at-or-after', [
        from,
      ]);
      const row = rows[0]!;
      this.#cursor = (row.first ?? row.last + 1) - 1;
      // A future time: events appended before it comes are not "recorded at or after" it.
      this.#minRecorded = from;
    }
    this.#start = undefined;
  }

  #query<R extends object>(name: string, values: unknown[]) {
    const retry = { timeoutMs: Infinity, stopped: () => this.closed, signal: this.#stop.signal };
    return this.#ctx.query<R>(this.#ctx.sql.query(name, values), retry);
  }

  protected sourceClosed(): boolean {
    return this.#ctx.closed;
  }

  /** A notification, or `pollIntervalMs` at most; at once when one came while the page was read. */
  protected async waitForMore(): Promise<void> {
    const { appended, options } = this.#ctx;
    if (appended.seq !== this.#seen || this.closed) return;
    await waitForAny([appended.notifier], options.pollIntervalMs, this.#stop.signal);
  }

  protected onClosed(): void {
    this.#stop.abort();
    this.#onClose(this);
  }
}
