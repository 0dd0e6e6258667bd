import { HeraldError } from '../../errors/index.js';
import { isBusy, lockedOut } from './busy.js';

/** What the writes of one round (one transaction) share. */
export interface Round {
  /** `Date.now()` when the round began. */
  readonly now: number;
  /** The `recorded_at` of events appended in this round: never before the newest stored one. */
  recordedAt(): number;
  /**
   * The last position assigned, in this round or before it. A write that stores events takes the
   * next ones and sets it, once it cannot fail any more (a write that fails leaves it alone).
   */
  lastPosition: number;
  /** How many events the round stored minus how many it deleted so far. */
  eventDelta: number;
  /** Set by a write after which waiting readers and pulls should look again (append, nack, redrive). */
  wake: boolean;
  /** Set by a write that appended, so retention runs at the end of the round. */
  appended: boolean;
}

/**
 * One write, run inside a round's transaction. A write that refuses (a `ConcurrencyError`, a bad
 * option) throws a `HeraldError` before it writes anything, so the others of the round go on
 * without a savepoint each; any other error may have left half a write, so the round rolls back.
 */
export interface WriteOp<T> {
  /** Its share of a round and of the queue: its number of events, at least 1. */
  readonly weight: number;
  run(round: Round): T;
}

/**
 * Thrown out of a round by `commit` when a write failed with something other than a refusal: the
 * round rolled back, and `index` names the write to blame.
 */
export class WriteFailed extends Error {
  constructor(
    readonly index: number,
    cause: unknown,
  ) {
    super('a write failed midway; its round rolled back', { cause });
  }
}

/** How one write of a committed round ended. */
export type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** What a `WriteQueue` runs its rounds with. */
export interface WriteQueueOptions {
  readonly maxQueued: number;
  readonly maxBatch: number;
  readonly windowMs: number;
  /**
   * How long a round may wait for another process's write lock (`busyTimeoutMs`): its
   * transaction is tried again, off the event loop, until then; then every write of it fails with
   * `LOG_UNREACHABLE`.
   */
  readonly busyTimeoutMs: number;
  /**
   * Runs the writes in one transaction and commits. Throws `WriteFailed` when a write failed
   * midway, anything else when the transaction itself failed (busy, I/O, disk full).
   */
  commit(ops: readonly WriteOp<unknown>[]): { outcomes: Outcome[]; wake: boolean };
  /** After a round rolled back as a whole (state derived inside it may be gone). */
  rolledBack(): void;
  /** After a round committed with `wake` set. */
  wake(): void;
}

interface Entry {
  readonly op: WriteOp<unknown>;
  /** `Date.now()` when it was queued: its wait for a lock counts from there. */
  readonly since: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit. Writes from any number of concurrent callers queue up; one round takes every
 * queued write (up to `maxBatch` events) and runs them in ONE transaction with ONE fsync. Each
 * write checks its own conditions first, so one caller's refusal (a `ConcurrencyError`) fails
 * only that caller. A write that fails midway rolls its round back; it alone is failed and the
 * others run again in a new round. When the transaction cannot take the write lock (another
 * process holds it), the round is tried again on a timer (10 to 200 ms apart) until its oldest
 * write waited `busyTimeoutMs`; then every write of it fails with `LOG_UNREACHABLE`. When the
 * transaction itself fails otherwise (an I/O error, disk full) every write of the round fails
 * with it. Each caller's promise settles
 * after the commit. The queue is bounded: past `maxQueued`
 * events, callers wait for room (no write is dropped). A round starts on the next turn of the
 * event loop, or `windowMs` after the first write when set.
 *
 * @example
 * ```ts
 * const queue = new WriteQueue({ maxQueued: 100_000, maxBatch: 10_000, windowMs: 0, busyTimeoutMs: 5_000, commit, wake, rolledBack });
 * const rows = await queue.submit({ weight: 1, run: () => sql['delete-stream'].run('s').changes });
 * ```
 */
export class WriteQueue {
  readonly #options: WriteQueueOptions;
  #entries: Entry[] = [];
  #head = 0;
  #weight = 0;
  /** Callers waiting for room, first come first served, each with the weight it will take. */
  #room: { readonly weight: number; readonly admit: () => void }[] = [];
  #idle: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #scheduled = false;
  #closed = false;
  /** A round whose transaction could not take the write lock yet: it runs again first. */
  #locked: Entry[] | undefined;
  #lockedDelayMs = 0;

  constructor(options: WriteQueueOptions) {
    this.#options = options;
  }

  /** Queues a write; resolves with its result once its round committed. */
  async submit<T>(op: WriteOp<T>): Promise<T> {
    if (this.#closed) throw new HeraldError('LOG_CLOSED', 'the sqlite log is closed');
    // Behind anyone already waiting, so a small write cannot overtake a big one. A write waiting
    // when close is called still runs: close waits for it. `#admit` reserves its weight.
    const { weight } = op;
    if (this.#room.length > 0 || !this.#fits(weight)) {
      await new Promise<void>((admit) => this.#room.push({ weight, admit }));
    } else {
      this.#weight += weight;
    }
    return new Promise<T>((resolve, reject) => {
      this.#entries.push({ op, since: Date.now(), resolve, reject });
      this.#schedule();
    });
  }

  /** Refuses new writes and resolves once every admitted write has settled. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#weight > 0 || this.#room.length > 0 || this.#locked !== undefined) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  /** Whether a write of this weight fits now; one alone always does (however big). */
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
    const { windowMs, maxBatch } = this.#options;
    if (this.#scheduled) {
      // A full round need not wait for the rest of its window.
      if (this.#timer !== undefined && this.#weight >= maxBatch) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        setImmediate(this.#flush);
      }
      return;
    }
    this.#scheduled = true;
    if (windowMs > 0 && this.#weight < maxBatch) this.#timer = setTimeout(this.#flush, windowMs);
    else setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    this.#timer = undefined;
    const batch = this.#locked ?? this.#take();
    this.#locked = undefined;
    this.#admit();
    if (batch.length === 0) return this.#settled();
    let round: { outcomes: Outcome[]; wake: boolean };
    try {
      round = this.#commit(batch.map((entry) => entry.op));
    } catch (busy) {
      // Another process holds the write lock (the connection waited only briefly, so the event
      // loop was not held): try the round again later, until the oldest write's budget is spent.
      const waited = Date.now() - Math.min(...batch.map((entry) => entry.since));
      if (waited < this.#options.busyTimeoutMs) {
        this.#locked = batch;
        this.#lockedDelayMs = Math.min(Math.max(this.#lockedDelayMs * 2, 10), 200);
        this.#scheduled = true;
        this.#timer = setTimeout(this.#flush, this.#lockedDelayMs);
        return;
      }
      const error = lockedOut(waited, this.#options.busyTimeoutMs, busy);
      round = { outcomes: batch.map(() => ({ ok: false, error })), wake: false };
    }
    this.#lockedDelayMs = 0;
    const { outcomes, wake } = round;
    batch.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) entry.resolve(outcome.value);
      else entry.reject(outcome.error);
    });
    if (wake) this.#options.wake();
    this.#settled();
  };

  #settled(): void {
    if (this.#weight > 0) this.#schedule();
    else for (const resume of this.#idle.splice(0)) resume();
  }

  /**
   * One round; when a write of it failed midway, the round again without that write. Throws when
   * the transaction could not take the write lock (nothing ran).
   */
  #commit(ops: readonly WriteOp<unknown>[]): { outcomes: Outcome[]; wake: boolean } {
    try {
      return this.#options.commit(ops);
    } catch (error) {
      this.#options.rolledBack();
      if (isBusy(error)) throw error;
      if (!(error instanceof WriteFailed))
        return { outcomes: ops.map(() => ({ ok: false, error })), wake: false };
      const rest = ops.filter((_, i) => i !== error.index);
      const again = rest.length === 0 ? { outcomes: [], wake: false } : this.#commit(rest);
      again.outcomes.splice(error.index, 0, { ok: false, error: error.cause });
      return again;
    }
  }

  /** Takes the next round's writes: at least one, then as many as fit in `maxBatch`. */
  #take(): Entry[] {
    const batch: Entry[] = [];
    let weight = 0;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (batch.length > 0 && weight + entry.op.weight > this.#options.maxBatch) break;
      batch.push(entry);
      weight += entry.op.weight;
      this.#head++;
    }
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    this.#weight -= weight;
    return batch;
  }
}
