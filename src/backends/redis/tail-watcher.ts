import type { Redis } from 'ioredis';
import { pause } from '../../log/retry.js';

/** What the watcher tells its log. */
export interface WatcherEvents {
  /** Entries after `seen` exist; `last` is the last position assigned now. */
  appended(last: number): void;
  /** The connection came back after a failure: anything may have changed meanwhile. */
  reconnected(): void;
}

/**
 * Sees other processes' appends without polling the log: one dedicated connection per log loops
 * on `XREAD BLOCK <pollIntervalMs> STREAMS <events> <last seen>`, a blocking call that returns as
 * soon as an entry past the last seen position exists (it must be its own connection: a blocked
 * connection runs nothing else). Then it reads the meta hash's `last` and wakes the log's readers.
 * It reconnects after a failure for as long as the log is open.
 *
 * @example
 * ```ts
 * const watcher = new TailWatcher(client.duplicate(), 'herald:events', 'herald:meta', 0, 1_000, events);
 * watcher.start();
 * await watcher.close();
 * ```
 */
export class TailWatcher {
  readonly #blocker: Redis;
  readonly #events: string;
  readonly #meta: string;
  readonly #blockMs: number;
  readonly #on: WatcherEvents;
  readonly #stop = new AbortController();
  #seen: number;
  #loop: Promise<void> | undefined;

  constructor(
    blocker: Redis,
    keys: { events: string; meta: string },
    seen: number,
    blockMs: number,
    on: WatcherEvents,
  ) {
    this.#blocker = blocker;
    this.#events = keys.events;
    this.#meta = keys.meta;
    this.#seen = seen;
    this.#blockMs = blockMs;
    this.#on = on;
    blocker.on('error', () => undefined);
  }

  /** Raises the position past which the watcher looks (this process's own appends). */
  note(position: number): void {
    if (position > this.#seen) this.#seen = position;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    this.#blocker.disconnect();
    await this.#loop;
  }

  #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async #run(): Promise<void> {
    let failed = false;
    while (!this.#stop.signal.aborted) {
      try {
        const reply = await this.#blocker.xread(
          'COUNT',
          1,
          'BLOCK',
          this.#blockMs,
          'STREAMS',
          this.#events,
          `${this.#seen}-0`,
        );
        if (failed) {
          failed = false;
          this.#on.reconnected();
        }
        if (reply === null) continue;
        const last = Number((await this.#blocker.hget(this.#meta, 'last')) ?? 0);
        const entryId = reply[0]?.[1][0]?.[0] ?? '0-0';
        this.note(Math.max(last, Number.parseInt(entryId, 10)));
        this.#on.appended(this.#seen);
      } catch {
        if (this.#stopped()) return;
        failed = true;
        await pause(100, this.#stop.signal);
      }
    }
  }
}
