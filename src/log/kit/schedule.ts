import { HeraldError, describeError as describe } from '../../errors/index.js';
import type { HeraldEvent } from '../../event/types.js';
import { checkInteger, checkName, invalidOption } from '../invalid-option.js';
import { prepareAppend } from '../prepare-append.js';
import type {
  AppendInput,
  Appended,
  AppendOptions,
  ScheduleOptions,
  Scheduled,
  ScheduledEvent,
  ScheduledPageOptions,
} from '../types.js';

/** One scheduled event as a backend's store keeps it. */
export interface ScheduleEntry {
  readonly id: string;
  /** When it is due, Unix ms. */
  readonly dueAt: number;
  /** The full event (prepared at `schedule`: id, source, time filled; no log-assigned attributes). */
  readonly event: HeraldEvent;
  readonly stream: string | undefined;
}

/** Where `ScheduleStore.list` resumes: after this entry in (dueAt, id) order. */
export interface ScheduleCursor {
  readonly dueAt: number;
  readonly id: string;
}

/**
 * What a backend stores for delayed and scheduled delivery; `Scheduling` does the rest (options,
 * the mover, the contract's three methods). Every method may be called by several processes at
 * once on a shared backend, so each must be atomic there:
 *
 * - `add`: stores the entries atomically (all or none); for each, `undefined` when stored, or
 *   the `dueAt` of an entry with the same id that is still pending (then nothing is stored for it).
 * - `claim`: takes up to `max` entries with `dueAt <= now` that no one has taken, in (dueAt, id)
 *   order, and marks them taken until `now + leaseMs`; an entry whose lease ran out (its mover
 *   died between claim and `complete`) may be claimed again. Taken is for good: such an entry
 *   cannot be cancelled any more (it will be appended, or was).
 * - `complete`: forgets entries whose append succeeded.
 * - `cancel`: removes an entry no one has taken; true if it did.
 * - `list`: pending entries (taken or not, not completed) in (dueAt, id) order after `after`.
 * - `nextDue`: the earliest time `claim` could return something (the lowest untaken `dueAt`, or
 *   the end of a lease that may run out), `undefined` when nothing is pending.
 * - `watch` (optional): calls `listener` when another process adds an entry, so a mover can wake
 *   for it without polling; without it, the mover polls every `pollMs`.
 *
 * @example
 * ```ts
 * const store: ScheduleStore = memoryScheduleStore();
 * await store.add([{ id: 'e-1', dueAt: Date.now() + 1000, event, stream: undefined }]);
 * const due = await store.claim(Date.now() + 1000, 100, 30_000);
 * ```
 */
export interface ScheduleStore {
  add(entries: readonly ScheduleEntry[]): Promise<(number | undefined)[]>;
  claim(now: number, max: number, leaseMs: number): Promise<ScheduleEntry[]>;
  complete(ids: readonly string[]): Promise<void>;
  cancel(id: string): Promise<boolean>;
  list(limit: number, after: ScheduleCursor | undefined): Promise<ScheduleEntry[]>;
  nextDue(): Promise<number | undefined>;
  watch?(listener: () => void): () => void;
}

/** How a log moves its due scheduled events (an option of every backend). */
export interface MoverOptions {
  /**
   * Whether this log object moves due events into the log (default true). Turn it off only where
   * another process with the log open does it; events are moved only while one does.
   */
  move?: boolean;
  /** A taken entry not appended within this may be taken by another mover (default 30,000 ms). */
  leaseMs?: number;
  /** At most this many events per move (default 500). */
  batch?: number;
  /** Looks for due events at least this often even without a wake-up (default 1,000 ms; 10,000 with `watch`). */
  pollMs?: number;
  /** Called with an error the mover could not deliver around (a failed append it will retry). */
  onError?: (error: unknown) => void;
}

const TEN_YEARS_MS = 10 * 366 * 86_400_000;
const MAX_TIMER = 2 ** 31 - 1;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The due time of `ScheduleOptions` in Unix ms: `INVALID_OPTION` unless exactly one of
 * `deliverAt` (a valid Date, an RFC 3339 string with an offset, or a finite ms number) and
 * `delayMs` (0 to ten years) is given.
 *
 * @example
 * ```ts
 * dueTime({ delayMs: 5_000 }, Date.now()); // now + 5 s
 * ```
 */
export function dueTime(options: ScheduleOptions | undefined, now: number): number {
  // Checked as unknown: JavaScript callers and HTTP bodies pass anything.
  const given: unknown = options;
  if (typeof given !== 'object' || given === null) {
    throw invalidOption('schedule options', given, 'an object with deliverAt or delayMs');
  }
  const { deliverAt, delayMs } = given as { deliverAt?: unknown; delayMs?: unknown };
  if ((deliverAt === undefined) === (delayMs === undefined)) {
    throw new HeraldError('INVALID_OPTION', 'give exactly one of deliverAt and delayMs', {
      details: { option: 'deliverAt', value: deliverAt },
    });
  }
  if (delayMs !== undefined) {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > TEN_YEARS_MS) {
      throw invalidOption('delayMs', delayMs, 'a number of ms from 0 to ten years');
    }
    return Math.ceil(now + delayMs);
  }
  let ms: number;
  if (deliverAt instanceof Date) ms = deliverAt.getTime();
  else if (typeof deliverAt === 'number') ms = deliverAt;
  else if (typeof deliverAt === 'string' && RFC3339.test(deliverAt)) ms = Date.parse(deliverAt);
  else ms = Number.NaN;
  if (!Number.isFinite(ms) || Math.abs(ms - now) > TEN_YEARS_MS) {
    throw invalidOption(
      'deliverAt',
      deliverAt,
      'a Date, an RFC 3339 time with an offset, or Unix ms, within ten years',
    );
  }
  return Math.ceil(ms);
}

/** RFC 3339 in UTC with ms, as `Scheduled` and `ScheduledEvent` show due times. */
export function dueString(dueAt: number): string {
  return new Date(dueAt).toISOString();
}

/**
 * Validates a schedule call and sets each event's `deliverat` extension attribute to its due time
 * (RFC 3339, ms, UTC): the events exactly as `append` would (`INVALID_EVENT`,
 * `INVALID_TYPE` with `details.index`), the stream name and the due time.
 *
 * @example
 * ```ts
 * const entries = prepareSchedule(inputs, { delayMs: 1000 }, Date.now());
 * ```
 */
export function prepareSchedule(
  inputs: readonly AppendInput[],
  options: ScheduleOptions,
  now: number,
): ScheduleEntry[] {
  const dueAt = dueTime(options, now);
  const stream = options.stream === undefined ? undefined : checkName('stream', options.stream);
  const { events } = prepareAppend(inputs, stream === undefined ? {} : { stream });
  // The due time travels with the event (a CloudEvents extension attribute), so readers can tell a
  // scheduled event and how late it came.
  const deliverat = dueString(dueAt);
  return events.map((event) => ({ id: event.id, dueAt, event: { ...event, deliverat }, stream }));
}

/** The page options of `scheduled`, checked. */
export function schedulePage(options: ScheduledPageOptions = {}): {
  limit: number;
  after: ScheduleCursor | undefined;
} {
  const limit = checkInteger('limit', options.limit ?? 100, 1);
  if (limit > 1000) throw invalidOption('limit', limit, 'an integer from 1 to 1000');
  const after = options.after as unknown;
  if (after === undefined) return { limit, after: undefined };
  const cursor = (typeof after === 'object' && after !== null ? after : {}) as {
    deliverAt?: unknown;
    id?: unknown;
  };
  const dueAt = typeof cursor.deliverAt === 'string' ? Date.parse(cursor.deliverAt) : Number.NaN;
  if (!Number.isFinite(dueAt) || typeof cursor.id !== 'string' || cursor.id === '') {
    throw invalidOption(
      'after',
      after,
      'the deliverAt and id of the last scheduled event of the previous page',
    );
  }
  return { limit, after: { dueAt, id: cursor.id } };
}

/** How a store's entry is shown to users. */
export function scheduledEvent(entry: ScheduleEntry): ScheduledEvent {
  return { event: entry.event, deliverAt: dueString(entry.dueAt), stream: entry.stream };
}

/** What the mover needs of its log. */
export type AppendFn = (events: readonly HeraldEvent[], options: AppendOptions) => Promise<Appended[]>;

/** Retried after an append fails for a reason that may pass (the log unreachable, closed connection). */
function retryable(error: unknown): boolean {
  // LOG_CLOSED: the log closed under a move; the entries stay taken and another mover (or this
  // log reopened) takes them after the lease. Never a reason to drop them.
  return !(error instanceof HeraldError) || error.code === 'LOG_UNREACHABLE' || error.code === 'LOG_CLOSED';
}

/**
 * The contract's `schedule`, `cancelScheduled` and `scheduled` over a backend's `ScheduleStore`,
 * and the mover: it sleeps until the next due time (or a wake-up: a local `schedule`, the
 * store's `watch`, at most `pollMs`), claims due entries, appends them with their own ids
 * (grouped by stream, expected version `'any'`; a second mover's append is a duplicate) and
 * completes them. An append that fails for a passing reason is retried after a pause (and the
 * lease lets another mover take the entries if this one dies); one the log refuses for good (an
 * event another version of Herald accepted) is dropped and reported to `onError`.
 *
 * @example
 * ```ts
 * class MyLog implements EventLog {
 *   readonly #scheduling = new Scheduling(myStore, (events, o) => this.append(events, o), { now: Date.now });
 *   schedule(events: readonly AppendInput[], options: ScheduleOptions) { return this.#scheduling.schedule(events, options); }
 *   // cancelScheduled, scheduled likewise; close() calls this.#scheduling.close() first
 * }
 * ```
 */
export class Scheduling {
  readonly #store: ScheduleStore;
  readonly #append: AppendFn;
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #batch: number;
  readonly #pollMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #unwatch: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wakeAt = Infinity;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #failures = 0;
  readonly #moving: boolean;
  /** Entries this mover claimed whose append failed for a passing reason: retried before claiming more. */
  #held: ScheduleEntry[] = [];

  constructor(store: ScheduleStore, append: AppendFn, options: MoverOptions & { now?: () => number } = {}) {
    this.#store = store;
    this.#append = append;
    this.#now = options.now ?? Date.now;
    this.#leaseMs = checkInteger('leaseMs', options.leaseMs ?? 30_000, 1);
    this.#batch = checkInteger('batch', options.batch ?? 500, 1);
    this.#pollMs = checkInteger('pollMs', options.pollMs ?? (store.watch === undefined ? 1_000 : 10_000), 1);
    this.#onError = options.onError ?? (() => undefined);
    this.#moving = options.move ?? true;
    this.#unwatch = this.#moving && store.watch !== undefined ? store.watch(() => this.#wake(0)) : undefined;
    this.#wake(0);
  }

  /** `EventLog.schedule`. */
  async schedule(inputs: readonly AppendInput[], options: ScheduleOptions): Promise<Scheduled[]> {
    this.#assertOpen();
    const entries = prepareSchedule(inputs, options, this.#now());
    // An id repeated inside the batch is stored once; later copies report the first's time.
    const first = new Map<string, ScheduleEntry>();
    for (const entry of entries) if (!first.has(entry.id)) first.set(entry.id, entry);
    const unique = [...first.values()];
    const found = unique.length === 0 ? [] : await this.#store.add(unique);
    const results = new Map<string, Scheduled>();
    unique.forEach((entry, i) => {
      const pending = found[i];
      results.set(entry.id, {
        id: entry.id,
        deliverAt: dueString(pending ?? entry.dueAt),
        duplicate: pending !== undefined,
      });
    });
    if (unique.length > 0) this.#wake(Math.min(...unique.map((entry) => entry.dueAt)) - this.#now());
    const seen = new Set<string>();
    return entries.map((entry) => {
      const result = results.get(entry.id)!;
      if (seen.has(entry.id)) return { ...result, duplicate: true };
      seen.add(entry.id);
      return result;
    });
  }

  /** `EventLog.cancelScheduled`. */
  async cancelScheduled(id: string): Promise<boolean> {
    this.#assertOpen();
    if (typeof id !== 'string' || id === '') throw invalidOption('id', id, 'a non-empty string');
    return this.#store.cancel(id);
  }

  /** `EventLog.scheduled`. */
  async scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]> {
    this.#assertOpen();
    const { limit, after } = schedulePage(options);
    return (await this.#store.list(limit, after)).map(scheduledEvent);
  }

  /** Stops the mover; waits for a move in progress. Call before closing the store's connections. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unwatch?.();
    await this.#running;
  }

  #assertOpen(): void {
    if (this.#closed) throw new HeraldError('LOG_CLOSED', 'the log is closed');
  }

  /** Makes the mover look again within `inMs` (now for 0 or less). */
  #wake(inMs: number): void {
    if (this.#closed || !this.#moving) return;
    if (this.#running !== undefined) {
      if (inMs <= 0) this.#again = true;
      else this.#sleep(inMs);
      return;
    }
    this.#sleep(inMs);
  }

  #sleep(inMs: number): void {
    const at = this.#now() + Math.max(0, inMs);
    if (this.#timer !== undefined && at >= this.#wakeAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#wakeAt = at;
    this.#timer = setTimeout(() => this.#tick(), Math.min(Math.max(0, Math.ceil(inMs)), MAX_TIMER));
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#wakeAt = Infinity;
    if (this.#closed || this.#running !== undefined) return;
    this.#running = this.#round().finally(() => {
      this.#running = undefined;
    });
  }

  async #round(): Promise<void> {
    let nextIn: number;
    try {
      do {
        this.#again = false;
        const moved = await this.#moveDue();
        if (moved === this.#batch) this.#again = true;
      } while (this.#again && !this.#closed);
      this.#failures = 0;
      const next = await this.#store.nextDue();
      nextIn = Math.min(this.#pollMs, next === undefined ? Infinity : next - this.#now());
    } catch (error) {
      if (this.#closed) return;
      this.#onError(error);
      this.#failures++;
      nextIn = Math.min(this.#pollMs, 100 * 2 ** Math.min(this.#failures, 5));
    }
    if (!this.#closed) this.#sleep(this.#again ? 0 : nextIn);
  }

  /** One claim, its appends and its completion; returns how many were claimed. */
  async #moveDue(): Promise<number> {
    const retrying = this.#held.length > 0;
    const claimed = retrying ? this.#held : await this.#store.claim(this.#now(), this.#batch, this.#leaseMs);
    this.#held = [];
    if (claimed.length === 0) return 0;
    const byStream = new Map<string | undefined, ScheduleEntry[]>();
    for (const entry of claimed) {
      const list = byStream.get(entry.stream);
      if (list === undefined) byStream.set(entry.stream, [entry]);
      else list.push(entry);
    }
    const done: string[] = [];
    let failure: unknown;
    for (const [stream, entries] of byStream) {
      try {
        await this.#append(
          entries.map((entry) => entry.event),
          stream === undefined ? {} : { stream },
        );
        for (const entry of entries) done.push(entry.id);
      } catch (error) {
        if (retryable(error)) {
          failure ??= error;
          this.#held.push(...entries);
        } else {
          // Refused for good (say, an event this version no longer accepts): reported, not retried forever.
          this.#onError(error);
          for (const entry of entries) done.push(entry.id);
        }
      }
    }
    if (done.length > 0) await this.#store.complete(done);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(describe(failure));
    // A retried batch may be followed at once by new claims.
    return retrying ? this.#batch : claimed.length;
  }
}
