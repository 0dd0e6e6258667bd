import { waitForAny } from '../../log/notifier.js';
import { PagedTail, type TailStart } from '../../log/paged-tail.js';
import type { StoredEvent } from '../../log/types.js';
import { decodeEntry, type StreamEntry } from './event-codec.js';
import type { RedisContext } from './log-context.js';

/**
 * The Redis log's live tail: pages of the events stream by position after the last position
 * examined (XRANGE), so history and live events come from the same read and nothing races at the
 * switch; positions are assigned inside the append script, so an entry never appears below one
 * already visible. When caught up it waits for the log's wake-up (this process's appends, or the
 * blocking reader's XREAD BLOCK seeing anyone's) or `pollIntervalMs` at most. While the server is
 * unreachable it keeps trying for as long as the log is open. Internal: see `log.subscribe()`.
 *
 * @example
 * ```ts
 * for await (const event of log.subscribe({ from: 'start', types: ['order.>'] })) console.log(event.position);
 * ```
 */
export class RedisSubscription extends PagedTail {
  readonly #ctx: RedisContext;
  readonly #matches: (type: string) => boolean;
  readonly #batchSize: number;
  readonly #onClose: (subscription: RedisSubscription) => void;
  readonly #stop = new AbortController();
  #start: TailStart | undefined;
  #cursor = 0;
  #minRecorded = -Infinity;
  #seen = 0;

  constructor(
    ctx: RedisContext,
    start: TailStart,
    options: {
      matches: (type: string) => boolean;
      batchSize: number;
      onClose: (subscription: RedisSubscription) => void;
    },
  ) {
    super();
    this.#ctx = ctx;
    this.#start = start;
    this.#matches = options.matches;
    this.#batchSize = options.batchSize;
    this.#onClose = options.onClose;
  }

  protected async readPage(): Promise<StoredEvent[]> {
    const ctx = this.#ctx;
    this.#seen = ctx.appended.seq;
    const retry = { timeoutMs: Infinity, stopped: () => this.closed, signal: this.#stop.signal };
    try {
      if (this.#start !== undefined) {
        const start = this.#start;
        if ('after' in start) this.#cursor = start.after;
        else {
          const ms = start.recordedFrom.getTime();
          const first = Number(await ctx.script('locate-time', [ctx.keys.events], [ms], retry));
          const last = Number((await ctx.call((c) => c.hget(ctx.keys.meta, 'last'), retry)) ?? 0);
          this.#cursor = (first === 0 ? last + 1 : first) - 1;
          // A future time: events appended before it comes are not "recorded at or after" it.
          this.#minRecorded = ms;
        }
        this.#start = undefined;
      }
      // A page of only non-matching entries is not "caught up": read on until a match or the end.
      for (;;) {
        const from = `${this.#cursor + 1}-0`;
        const entries = (await ctx.call(
          (c) => c.xrange(ctx.keys.events, from, '+', 'COUNT', this.#batchSize),
          retry,
        )) as StreamEntry[];
        const events: StoredEvent[] = [];
        for (const entry of entries) {
          const event = decodeEntry(entry);
          this.#cursor = event.position;
          if (this.#matches(event.type) && Date.parse(event.recordedat) >= this.#minRecorded)
            events.push(event);
        }
        if (entries.length > 0) ctx.noteLast(this.#cursor);
        if (events.length > 0 || entries.length < this.#batchSize || this.closed) return events;
      }
    } catch (error) {
      if (this.closed || ctx.closed) return [];
      throw error;
    }
  }

  protected sourceClosed(): boolean {
    return this.#ctx.closed;
  }

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
