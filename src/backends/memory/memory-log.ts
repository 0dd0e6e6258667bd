import { HeraldError } from '../../errors/index.js';
import { EventList, byRecorded, byVersion, startIndex } from '../../log/event-list.js';
import { checkDuplicates } from '../../log/duplicate-check.js';
import { checkExpectedVersion } from '../../log/expected-version.js';
import { checkInteger, checkMillis, checkName } from '../../log/invalid-option.js';
import { MemoryGroup, type MemoryGroupHost } from './memory-group.js';
import { MemorySubscription, type MemorySubscriptionHost } from '../../log/memory-subscription.js';
import { Notifier } from '../../log/notifier.js';
import { prepareAppend } from '../../log/prepare-append.js';
import { asyncIterable, settle } from '../../log/settle.js';
import { checkLogPosition, matchesReadFilter, readFilter, type ReadFilter } from '../../log/read-filter.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type {
  AppendInput,
  AppendOptions,
  Appended,
  ConsumerGroup,
  EventLog,
  GroupOptions,
  LogCapabilities,
  LogSubscribeOptions,
  LogSubscription,
  ReadOptions,
  RetentionOptions,
  ScheduleOptions,
  Scheduled,
  ScheduledEvent,
  ScheduledPageOptions,
  StoredEvent,
} from '../../log/types.js';
import { groupSurface, logSurface } from '../../log/surface.js';
import { memoryScheduleStore } from '../../log/kit/memory-schedule-store.js';
import { Scheduling, type MoverOptions } from '../../log/kit/schedule.js';

/** Options of `memoryLog`. */
export interface MemoryLogOptions {
  /** Limits applied after every append and by `applyRetention` (default: keep everything). */
  retention?: RetentionOptions;
  /** The clock, in Unix ms, for `recordedat`, ack deadlines and retention (default `Date.now`). */
  now?: () => number;
  /** How this log moves its due scheduled events (see `MoverOptions`; they live in memory too). */
  scheduler?: MoverOptions;
}

const CAPABILITIES: LogCapabilities = Object.freeze({
  name: 'memory',
  survivesReopen: false,
  survivesServerRestart: false,
  fsync: false,
  consumerGroups: true,
  multiProcess: false,
});

/**
 * The reference `EventLog`, in memory: the whole contract, nothing durable (state lives as long as
 * the object). Every call is synchronous inside, so each append, pull or ack is atomic.
 *
 * - append: the batch is validated first (`prepareAppend`: `INVALID_EVENT` / `INVALID_TYPE` with
 *   `details.index`), so an invalid event stores nothing. An id already stored is a duplicate: its
 *   result is the original's position, stream and version with `duplicate: true` (an id repeated
 *   within the batch is stored once, later copies reported the same way). When every event is a
 *   duplicate the originals are returned without checking `expectedVersion`, so a retry after a
 *   lost reply succeeds; otherwise the check applies and only new events are stored. Positions
 *   start at 1 and are never reused, even after deletes. All events of a batch share one
 *   `recordedat`, which never goes backwards (a clock stepping back is held at the last value).
 * - stream version: the version of the stream's last stored event, 0 when it has none, as the
 *   contract defines it; so after `deleteStream` (or when truncation or retention removed every
 *   event of a stream) the stream starts again at version 1.
 * - read: lazy, walking the stored events by index (no copy); it ends at the last position stored
 *   when iteration began (later events are for `subscribe`). Options are checked when `read` is
 *   called (`INVALID_OPTION`, `INVALID_PATTERN`); a log closed during iteration rejects the next
 *   step with `LOG_CLOSED`. See `readFilter` for the rules of `from` and `fromVersion`.
 * - subscribe: reads by position after the last one examined, at most `batchSize` ahead, and
 *   waits for an append's notification when caught up. `close()` or `return()` end it; a pending
 *   `next()` resolves done. `from: Date` starts at the first event recorded at or after it.
 * - groups: pull hands out due redeliveries first (by position), then new matching events after
 *   the cursor; every delivery is due again `ackWaitMs` later. When a later `group()` call
 *   changes the types, pending events they no longer match leave the group as if acked (so does
 *   a redriven dead letter that no longer matches, at the next pull). `ack` of a stale delivery (one
 *   redelivered since) still acks: the work was done. `nack` of a stale delivery is ignored;
 *   otherwise it sets the redelivery time (`delayMs`, else the backoff) or, at `maxDeliveries`,
 *   dead-letters with the last error; a delivery whose ack wait expires at `maxDeliveries` is
 *   dead-lettered by the next pull. A pull that is waiting returns `[]` when its signal aborts or
 *   the log closes; it wakes on appends, nacks, redrives and the next due time (no polling), and
 *   its `waitMs` is real time even with an injected `now`. `deliveredPosition` is the group's
 *   cursor: it also passes events the group does not take. `status` is `undefined` for events
 *   before the group's `startAt`. Group state lives in memory and is lost with the log.
 * - close: idempotent; open subscriptions end, waiting pulls return `[]`, every later call
 *   rejects (or, for `read` and `subscribe`, throws) `LOG_CLOSED`.
 *
 * @example
 * ```ts
 * const log = memoryLog({ retention: { maxEvents: 100_000 } });
 * await log.append([{ type: 'order.created', data: { id: 'o-1' } }], { stream: 'order-o-1', expectedVersion: 'no_stream' });
 * const group = await log.group('mailer', { types: ['order.>'], startAt: 'start' });
 * for (const delivery of await group.pull({ max: 10, waitMs: 1000 })) await delivery.ack();
 * ```
 */
export function memoryLog(options: MemoryLogOptions = {}): EventLog {
  return logSurface(new MemoryLog(options));
}

function appended(event: StoredEvent, duplicate: boolean): Appended {
  return { id: event.id, position: event.position, stream: event.stream, version: event.version, duplicate };
}

class MemoryLog implements EventLog, MemoryGroupHost, MemorySubscriptionHost {
  readonly capabilities = CAPABILITIES;
  readonly events = new EventList();
  readonly appended = new Notifier();
  readonly #ids = new Map<string, StoredEvent>();
  readonly #streams = new Map<string, EventList>();
  readonly #groups = new Map<string, MemoryGroup>();
  readonly #subscriptions = new Set<MemorySubscription>();
  readonly #now: () => number;
  readonly #maxEvents: number | undefined;
  readonly #maxAgeMs: number | undefined;
  #lastPosition = 0;
  #lastRecorded = -Infinity;
  #closed = false;
  readonly #scheduling: Scheduling;

  constructor(options: MemoryLogOptions) {
    const { retention = {}, now = Date.now } = options;
    this.#now = now;
    this.#scheduling = new Scheduling(memoryScheduleStore(), (events, o) => this.append(events, o), {
      ...options.scheduler,
      now,
    });
    this.#maxEvents =
      retention.maxEvents === undefined ? undefined : checkInteger('maxEvents', retention.maxEvents, 1);
    this.#maxAgeMs =
      retention.maxAgeMs === undefined ? undefined : checkMillis('maxAgeMs', retention.maxAgeMs, 1);
  }

  get closed(): boolean {
    return this.#closed;
  }

  now(): number {
    return this.#now();
  }

  assertOpen(): void {
    if (this.#closed) throw new HeraldError('LOG_CLOSED', 'the memory log is closed');
  }

  forget(subscription: MemorySubscription): void {
    this.#subscriptions.delete(subscription);
  }

  append(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    return settle(() => this.#append(inputs, options));
  }

  #append(
    inputs: readonly AppendInput[],
    options: AppendOptions | undefined,
  ): Appended[] | Promise<Appended[]> {
    this.assertOpen();
    const { events, stream, expectedVersion } = prepareAppend(inputs, options);
    const results: (Appended | undefined)[] = new Array<Appended | undefined>(events.length);
    const fresh = new Map<string, number>(); // id -> index of its first copy in the batch
    events.forEach((event, i) => {
      const stored = this.#ids.get(event.id);
      if (stored !== undefined) results[i] = appended(stored, true);
      else if (!fresh.has(event.id)) fresh.set(event.id, i);
    });
    if (fresh.size > 0) {
      let list = stream === undefined ? undefined : this.#streams.get(stream);
      let version = list?.last()?.version ?? 0;
      if (stream !== undefined) checkExpectedVersion(stream, expectedVersion, version);
      if (stream !== undefined && list === undefined) this.#streams.set(stream, (list = new EventList()));
      this.#lastRecorded = Math.max(this.#now(), this.#lastRecorded);
      const recordedat = new Date(this.#lastRecorded).toISOString();
      for (const i of fresh.values()) {
        const position = ++this.#lastPosition;
        const event = events[i]!;
        const stored: StoredEvent = Object.freeze(
          stream === undefined
            ? { ...event, position, recordedat }
            : { ...event, stream, version: ++version, position, recordedat },
        );
        this.events.push(stored);
        list?.push(stored);
        this.#ids.set(stored.id, stored);
        results[i] = appended(stored, false);
      }
    }
    // Array.from, not map: map skips the holes, which are exactly the in-batch copies.
    const out = Array.from(
      results,
      (result, i) => result ?? { ...results[fresh.get(events[i]!.id)!]!, duplicate: true },
    );
    if (fresh.size > 0) {
      this.#retain();
      this.appended.notify();
    }
    return checkDuplicates(events, out, (id) => this.#ids.get(id));
  }

  read(options?: ReadOptions): AsyncIterable<StoredEvent> {
    this.assertOpen();
    const filter = readFilter(options);
    return asyncIterable(() => this.#read(filter));
  }

  *#read(filter: ReadFilter): Generator<StoredEvent, void, undefined> {
    this.assertOpen();
    const list = filter.stream === undefined ? this.events : this.#streams.get(filter.stream);
    if (list === undefined || filter.limit === 0) return;
    const forward = filter.direction === 'forward';
    const end = this.#lastPosition;
    let count = 0;
    for (const event of list.walk(startIndex(list, filter), forward)) {
      this.assertOpen();
      if (event.position > end) return;
      if (!matchesReadFilter(event, filter)) continue;
      yield event;
      if (++count >= filter.limit) return;
    }
  }

  get(id: string): Promise<StoredEvent | undefined> {
    return settle(() => {
      this.assertOpen();
      return this.#ids.get(id);
    });
  }

  subscribe(options: LogSubscribeOptions = {}): LogSubscription {
    this.assertOpen();
    const from = checkLogPosition('from', options.from ?? 'end');
    const batchSize = checkInteger('batchSize', options.batchSize ?? 256, 1);
    const matchesType = typeMatcher(options.types);
    let matches = (event: StoredEvent): boolean => matchesType(event.type);
    let after = from === 'start' ? 0 : from === 'end' ? this.#lastPosition : Math.max(0, Number(from) - 1);
    if (from instanceof Date) {
      const ms = from.getTime();
      after =
        (this.events.at(this.events.lowerBound(ms, byRecorded))?.position ?? this.#lastPosition + 1) - 1;
      // A future date: events appended before it comes are not "recorded at or after" it.
      matches = (event) => matchesType(event.type) && Date.parse(event.recordedat) >= ms;
    }
    const subscription = new MemorySubscription(this, after, matches, batchSize);
    this.#subscriptions.add(subscription);
    return subscription;
  }

  group(name: string, options: GroupOptions = {}): Promise<ConsumerGroup> {
    return settle(() => this.#group(name, options));
  }

  #group(name: string, options: GroupOptions): ConsumerGroup {
    this.assertOpen();
    checkName('group', name);
    const existing = this.#groups.get(name);
    if (existing !== undefined) {
      existing.update(options);
      return groupSurface(existing);
    }
    const group = new MemoryGroup(this, name, options);
    this.#groups.set(name, group);
    return groupSurface(group);
  }

  groups(): Promise<string[]> {
    return settle(() => {
      this.assertOpen();
      return [...this.#groups.keys()].sort();
    });
  }

  streamVersion(stream: string): Promise<number> {
    return settle(() => {
      this.assertOpen();
      return this.#streams.get(checkName('stream', stream))?.last()?.version ?? 0;
    });
  }

  truncateStream(stream: string, beforeVersion: number): Promise<number> {
    return settle(() => this.#truncateStream(stream, beforeVersion));
  }

  #truncateStream(stream: string, beforeVersion: number): number {
    this.assertOpen();
    const list = this.#streams.get(checkName('stream', stream));
    checkInteger('beforeVersion', beforeVersion, 0);
    if (list === undefined) return 0;
    const dropped = list.dropHead(list.lowerBound(beforeVersion, byVersion));
    if (dropped.length === 0) return 0;
    const gone = new Set(dropped);
    this.events.removeWhere((event) => gone.has(event));
    for (const event of dropped) this.#ids.delete(event.id);
    if (list.length === 0) this.#streams.delete(stream);
    return dropped.length;
  }

  deleteStream(stream: string): Promise<number> {
    return settle(() => this.#deleteStream(stream));
  }

  #deleteStream(stream: string): number {
    this.assertOpen();
    const list = this.#streams.get(checkName('stream', stream));
    if (list === undefined) return 0;
    this.#streams.delete(stream);
    const removed = this.events.removeWhere((event) => event.stream === stream);
    for (const event of removed) this.#ids.delete(event.id);
    return removed.length;
  }

  applyRetention(): Promise<number> {
    return settle(() => {
      this.assertOpen();
      return this.#retain();
    });
  }

  bounds(): Promise<{ first: number; last: number }> {
    return settle(() => {
      this.assertOpen();
      return { first: this.events.at(0)?.position ?? 0, last: this.events.last()?.position ?? 0 };
    });
  }

  schedule(events: readonly AppendInput[], options: ScheduleOptions): Promise<Scheduled[]> {
    return settle(() => this.assertOpen()).then(() => this.#scheduling.schedule(events, options));
  }

  cancelScheduled(id: string): Promise<boolean> {
    return settle(() => this.assertOpen()).then(() => this.#scheduling.cancelScheduled(id));
  }

  scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]> {
    return settle(() => this.assertOpen()).then(() => this.#scheduling.scheduled(options));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#scheduling.close();
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    this.appended.notify();
  }

  /** Deletes what the retention limits say; returns how many. */
  #retain(): number {
    let removed = 0;
    if (this.#maxEvents !== undefined) removed += this.#dropOldest(this.events.length - this.#maxEvents);
    if (this.#maxAgeMs !== undefined) {
      // recordedat never decreases along the list, so the expired events are a prefix.
      removed += this.#dropOldest(this.events.lowerBound(this.#now() - this.#maxAgeMs, byRecorded));
    }
    return removed;
  }

  #dropOldest(count: number): number {
    const dropped = this.events.dropHead(count);
    for (const event of dropped) {
      this.#ids.delete(event.id);
      if (event.stream === undefined) continue;
      // The log's oldest event is also the oldest left in its stream.
      const list = this.#streams.get(event.stream)!;
      list.dropHead(1);
      if (list.length === 0) this.#streams.delete(event.stream);
    }
    return dropped.length;
  }
}
