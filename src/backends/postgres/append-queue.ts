import { HeraldError } from '../../errors/index.js';
import type { Appended } from '../../log/types.js';
import type { AppendRequest, RoundResult } from './append-round.js';

/** What an `AppendQueue` runs its rounds with. */
export interface AppendQueueOptions {
  /** Most events in one round (one request alone may be bigger). */
  readonly maxBatch: number;
  /** Queued events past which callers wait for room. */
  readonly maxQueued: number;
  /** Commits one round; never throws (failures are outcomes). */
  /** Commits a round; `since` is when its earliest caller appended (its retry budget runs from there). */
  commit(requests: readonly AppendRequest[], since: number): Promise<RoundResult>;
  /** After a round that stored events committed, before its callers resume. */
  committed(result: RoundResult): void;
}

interface Entry {
  readonly request: AppendRequest;
  readonly submittedAt: number;
  resolve(value: Appended[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit for one log in one process. Appends from concurrent callers queue up; a round
 * takes every queued append (up to `maxBatch` events) into ONE transaction: one head lock, one
 * `preflight`, one multi-row insert, one commit (one WAL flush) for all of them. One round runs at
 * a time: every append of every process takes turns on the head row anyway, so a second
 * transaction would only wait for the lock while holding a connection. Appends queued during a
 * round form the next one. Each caller's batch is still checked and atomic on its own. The queue
 * is bounded: past `maxQueued` events callers wait, in order, for room; nothing is dropped.
 *
 * @example
 * ```ts
 * const queue = new AppendQueue({ maxBatch: 5000, maxQueued: 100_000, commit, committed });
 * const appended = await queue.submit(appendRequest(prepared));
 * ```
 */
export class AppendQueue {
  readonly #options: AppendQueueOptions;
  #entries: Entry[] = [];
  #weight = 0;
  #room: { readonly weight: number; readonly admit: () => void }[] = [];
  #running = false;
  #scheduled = false;
  #idle: (() => void)[] = [];
  #closed = false;

  constructor(options: AppendQueueOptions) {
    this.#options = options;
  }

  /** Queues an append; resolves with its results once its round committed. */
  async submit(request: AppendRequest): Promise<Appended[]> {
    if (this.#closed) throw new HeraldError('LOG_CLOSED', 'the postgres log is closed');
    const submittedAt = Date.now();
    const { weight } = request;
    if (this.#room.length > 0 || !this.#fits(weight)) {
      await new Promise<void>((admit) => this.#room.push({ weight, admit }));
    } else {
      this.#weight += weight;
    }
    return new Promise<Appended[]>((resolve, reject) => {
      this.#entries.push({ request, submittedAt, resolve, reject });
      this.#schedule();
    });
  }

  /** Refuses new appends and resolves once every admitted one has settled. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#weight > 0 || this.#room.length > 0 || this.#running) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  #fits(weight: number): boolean {
    return this.#weight === 0 || this.#weight + weight <= this.#options.maxQueued;
  }

  #admit(): void {
    while (this.#room.length > 0 && this.#fits(this.#room[0]!.weight)) {
      const waiter = this.#room.shift()!;
      this.#weight += waiter.weight;
      waiter.admit();
    }
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    // The next turn of the event loop: appends issued together (Promise.all) share the round.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#round();
    });
  }

  async #round(): Promise<void> {
    const batch = this.#take();
    if (batch.length === 0) return this.#settled();
    this.#running = true;
    this.#admit();
    const since = Math.min(...batch.map((entry) => entry.submittedAt));
    const result = await this.#options.commit(
      batch.map((entry) => entry.request),
      since,
    );
    if (result.inserted > 0) this.#options.committed(result);
    batch.forEach((entry, i) => {
      const outcome = result.outcomes[i]!;
      if (outcome.ok) entry.resolve(outcome.value);
      else entry.reject(outcome.error);
    });
    this.#running = false;
    this.#settled();
  }

  #settled(): void {
    if (this.#entries.length > 0) this.#schedule();
    else if (this.#weight === 0 && this.#room.length === 0)
      for (const resume of this.#idle.splice(0)) resume();
  }

  /** The next round: at least one append, then as many as fit in `maxBatch`. */
  #take(): Entry[] {
    let count = 0;
    let weight = 0;
    for (const entry of this.#entries) {
      if (count > 0 && weight + entry.request.weight > this.#options.maxBatch) break;
      weight += entry.request.weight;
      count++;
    }
    const batch = this.#entries.slice(0, count);
    this.#entries = count === this.#entries.length ? [] : this.#entries.slice(count);
    this.#weight -= weight;
    return batch;
  }
}
