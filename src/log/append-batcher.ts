import { Notifier, waitForAny } from './notifier.js';
import type { PreparedAppend } from './prepare-append.js';
import type { Appended } from './types.js';

/** One caller's batch, waiting for its round. */
export interface AppendRequest {
  readonly prepared: PreparedAppend;
  /** When the caller called `append` (ms since the epoch): its retry budget runs from here. */
  readonly submittedAt: number;
  resolve(results: Appended[]): void;
  reject(error: unknown): void;
}

/**
 * Concurrent appends share one script call (one round trip): callers that arrive together
 * (before the microtask that starts a round runs), or while a round is running, go out together
 * in the next round, up to `maxBatch` events (a batch larger than that goes alone). Each caller's
 * batch stays atomic and checked on its own inside the script. Waiting events are bounded by `maxQueued`: past it
 * callers wait, in order, for room; nothing is dropped.
 *
 * @example
 * ```ts
 * const batcher = new AppendBatcher((requests) => runRound(requests), 1_000, 100_000);
 * const results = await batcher.submit(prepareAppend(events));
 * ```
 */
export class AppendBatcher {
  readonly #round: (requests: AppendRequest[]) => Promise<void>;
  readonly #maxBatch: number;
  readonly #maxQueued: number;
  readonly #room = new Notifier();
  #queue: AppendRequest[] = [];
  #queued = 0;
  #running: Promise<void> | undefined;

  constructor(round: (requests: AppendRequest[]) => Promise<void>, maxBatch: number, maxQueued: number) {
    this.#round = round;
    this.#maxBatch = maxBatch;
    this.#maxQueued = maxQueued;
  }

  async submit(prepared: PreparedAppend): Promise<Appended[]> {
    const submittedAt = Date.now();
    while (this.#queued > 0 && this.#queued + prepared.events.length > this.#maxQueued) {
      await waitForAny([this.#room], undefined, undefined);
    }
    return new Promise<Appended[]>((resolve, reject) => {
      this.#queue.push({ prepared, submittedAt, resolve, reject });
      this.#queued += prepared.events.length;
      // The round starts once the caller's code and the microtasks queued before it have run.
      this.#running ??= Promise.resolve().then(() => this.#drain());
    });
  }

  /** Resolves once every submitted batch has settled. */
  async close(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      let events = 0;
      let take = 0;
      while (take < this.#queue.length) {
        const size = this.#queue[take]!.prepared.events.length;
        if (take > 0 && events + size > this.#maxBatch) break;
        events += size;
        take++;
      }
      const round = this.#queue.splice(0, take);
      this.#queued -= events;
      this.#room.notify();
      // The round settles every request itself; a throw here would be a bug, not a failed append.
      await this.#round(round).catch((error: unknown) => {
        for (const request of round) request.reject(error);
      });
    }
    this.#running = undefined;
  }
}

/**
 * What is left of a round's retry budget: `budgetMs` from the earliest `submittedAt` of its
 * requests, so an append queued behind a round that spent its budget does not get a new one (at
 * least 0: the round is still tried once).
 *
 * @example
 * ```ts
 * await withRetry(run, { timeoutMs: budgetLeft(requests, options.retryTimeoutMs) });
 * ```
 */
export function budgetLeft(requests: readonly { readonly submittedAt: number }[], budgetMs: number): number {
  let earliest = Infinity;
  for (const r of requests) if (r.submittedAt < earliest) earliest = r.submittedAt;
  return earliest === Infinity ? budgetMs : Math.max(0, earliest + budgetMs - Date.now());
}
