import type { EventInit } from '../event/create-event.js';
import type { HeraldEvent } from '../event/types.js';

/**
 * An event as the log stores it: the CloudEvent plus where it was stored. `position` is global
 * (from 1, increasing, never reused); `stream` and `version` (from 1) are set when the event was
 * appended to a stream. `recordedat` is the log's own clock at append (RFC 3339), which read
 * and subscribe use for time positions (the event's `time` is the producer's and may be anything).
 */
export type StoredEvent<T extends HeraldEvent = HeraldEvent> = T & {
  readonly position: number;
  readonly recordedat: string;
};

/**
 * The optimistic-concurrency check of an append, on the stream's version before the batch:
 * `'any'` (no check), `'no_stream'` (the stream has no event), `'stream_exists'` (it has at least
 * one), or the exact version of its last event (0 is the same as `'no_stream'`).
 */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

/** Options of `append`. */
export interface AppendOptions {
  /** The stream (aggregate) every event of the batch is appended to. */
  stream?: string;
  /** Checked atomically with the append; a mismatch fails the whole batch with `ConcurrencyError`. */
  expectedVersion?: ExpectedVersion;
}

/**
 * When `schedule` delivers a batch: exactly one of `deliverAt` and `delayMs`.
 */
export interface ScheduleOptions {
  /** The time it is due: a Date, an RFC 3339 string (with an offset) or Unix ms. A past time is due at once. */
  deliverAt?: Date | string | number;
  /** Due this many ms from now (0 or more, at most ten years). */
  delayMs?: number;
  /** The stream the events are appended to when due (with expected version `'any'`). */
  stream?: string;
}

/** What `schedule` reports for each event of the batch, in batch order. */
export interface Scheduled {
  readonly id: string;
  /** When it is due (RFC 3339, ms); for a duplicate, the pending original's time. */
  readonly deliverAt: string;
  /** True when an event with this id was already pending: nothing was stored for it. */
  readonly duplicate: boolean;
}

/** An event waiting for its time in the log's schedule store. */
export interface ScheduledEvent {
  /** The whole event as it will be appended (id, time and source were filled at `schedule`). */
  readonly event: HeraldEvent;
  /** When it is due (RFC 3339, ms). */
  readonly deliverAt: string;
  readonly stream: string | undefined;
}

/** Options of `scheduled`: one page in due order (then id). */
export interface ScheduledPageOptions {
  /** At most this many (1 to 1,000, default 100; else `INVALID_OPTION`). */
  limit?: number;
  /** Only those after this one in due order: the last `ScheduledEvent` of the previous page (its `deliverAt` and `event.id`). */
  after?: { readonly deliverAt: string; readonly id: string };
}

/** What `append` reports for each event of the batch, in batch order. */
export interface Appended {
  readonly id: string;
  readonly position: number;
  readonly stream: string | undefined;
  readonly version: number | undefined;
  /** True when the id was already stored: nothing was written, these are the original's values. */
  readonly duplicate: boolean;
}

/** Where a read or subscription starts: a position (inclusive), a time (by `recordedat`), or an end. */
export type LogPosition = 'start' | 'end' | number | Date;

/** Options of `read`. Every filter is combined with AND. */
export interface ReadOptions {
  /** Default `'start'` forward, `'end'` backward. A position is inclusive. */
  from?: LogPosition;
  direction?: 'forward' | 'backward';
  /** At most this many events. */
  limit?: number;
  /** Only this stream's events. */
  stream?: string;
  /** With `stream`: from this version on (inclusive, in the read direction). */
  fromVersion?: number;
  /** Only types matching any of these NATS-style patterns. */
  types?: readonly string[];
  correlationId?: string;
  /** Only events recorded at or after this time. */
  after?: Date | string;
  /** Only events recorded before this time. */
  before?: Date | string;
}

/** Options of `subscribe`. */
export interface LogSubscribeOptions {
  /** Default `'end'`: only events appended from now on. */
  from?: LogPosition;
  types?: readonly string[];
  /** Events read ahead of the consumer (default 256); the log is read again as they are taken. */
  batchSize?: number;
}

/**
 * A live tail: history from `from`, then new events as they are appended, in position order with
 * no gap and no duplicate at the switch (it reads by position, so there is no switch to race).
 * Pull-based: nothing is buffered beyond `batchSize`, however slow the consumer.
 */
export interface LogSubscription extends AsyncIterableIterator<StoredEvent> {
  /** The last position handed out (0 before the first). */
  readonly position: number;
  close(): Promise<void>;
}

/** Options of a durable consumer group. Set on creation; later calls may change them. */
export interface GroupOptions {
  /** Only these types are delivered (default: all). */
  types?: readonly string[];
  /** Where a new group starts (default `'end'`). Ignored when the group exists. */
  startAt?: LogPosition;
  /** A delivery not acked within this is delivered again (default 30,000 ms). */
  ackWaitMs?: number;
  /** After this many deliveries a failing event becomes a dead letter (default 5). */
  maxDeliveries?: number;
  /** Delays before each redelivery after a `nack` without a delay (default: 1s, 5s, 30s, then the last). */
  backoff?: readonly number[];
}

/** One delivery of a consumer group to one member. */
export interface GroupDelivery {
  readonly event: StoredEvent;
  /** 1 on the first delivery of this event to the group. */
  readonly deliveryCount: number;
  /** Marks the event handled by the group. Idempotent; fails nothing if redelivered meanwhile. */
  ack(): Promise<void>;
  /**
   * Hands it back: redelivered after `delayMs` (default: the group's backoff), or dead-lettered
   * once it has been delivered `maxDeliveries` times. `deadLetter: true` dead-letters it now,
   * whatever the count (an unrecoverable failure). `error` is kept as the last error.
   */
  nack(options?: { delayMs?: number; error?: unknown; deadLetter?: boolean }): Promise<void>;
}

/** A group's view of one event (the seeds' status lifecycle). */
export type EventStatus = 'pending' | 'processing' | 'completed' | 'failed';

/** What a group has done and has left. */
export interface GroupInfo {
  readonly name: string;
  /** Every matching event at or below this position has been acked or dead-lettered. */
  readonly ackedPosition: number;
  /** The highest position delivered so far. */
  readonly deliveredPosition: number;
  /** Delivered and not yet acked (including those waiting for redelivery). */
  readonly pending: number;
  /** Matching events not yet delivered. */
  readonly lag: number;
  readonly deadLetters: number;
}

/** An event a group gave up on, with its last error. */
export interface GroupDeadLetter {
  readonly event: StoredEvent;
  readonly deliveries: number;
  readonly error: string | undefined;
  /** When it was dead-lettered (RFC 3339). */
  readonly at: string;
}

/**
 * A delivery handed out and not yet acked: in a member's hands, or waiting to be redelivered (a
 * nack's delay, an expired ack deadline, a redriven dead letter).
 */
export interface GroupPending {
  readonly event: StoredEvent;
  /** Times it has been delivered so far (0 for a redriven dead letter not yet delivered again). */
  readonly deliveries: number;
  /** The error of its last nack, if any. */
  readonly error: string | undefined;
  /** When it is (re)delivered next if not acked (RFC 3339): the ack deadline, or the nack's backoff end. */
  readonly dueAt: string;
}

/** Options of `ConsumerGroup.pending` and `ConsumerGroup.deadLetters`: one page in position order. */
export interface GroupPageOptions {
  /** At most this many (`pending`: 1 to 1,000, default 100; `deadLetters`: 0 or more, default all). */
  limit?: number;
  /** Only positions above this one (default 0): the last position of the previous page. */
  after?: number;
}

/**
 * A durable consumer group: members `pull` deliveries (each delivery goes to one member), `ack`
 * or `nack` them; unacked deliveries come back after `ackWaitMs`; past `maxDeliveries` they
 * become dead letters. Its state outlives the log object when `capabilities.survivesReopen`.
 */
export interface ConsumerGroup {
  readonly name: string;
  readonly options: Readonly<Required<Omit<GroupOptions, 'startAt'>>>;
  /**
   * Up to `max` deliveries (default 1): redeliveries that are due first, then new events in
   * position order. Waits up to `waitMs` (default 0) for one to be available.
   */
  pull(options?: { max?: number; waitMs?: number; signal?: AbortSignal }): Promise<GroupDelivery[]>;
  info(): Promise<GroupInfo>;
  status(position: number): Promise<EventStatus | undefined>;
  /**
   * The group's dead letters in position order, positions above `after` (default 0), at most
   * `limit` (default: all). Pass the last position of a page as the next page's `after`.
   *
   * @example
   * ```ts
   * let page = await group.deadLetters({ limit: 1000 });
   * while (page.length > 0) {
   *   await group.redrive(page.map((d) => d.event.position));
   *   page = await group.deadLetters({ limit: 1000, after: page.at(-1)!.event.position });
   * }
   * ```
   */
  deadLetters(options?: GroupPageOptions): Promise<GroupDeadLetter[]>;
  /**
   * The deliveries handed out and not yet acked, in position order: positions above `after`
   * (default 0), at most `limit` (1 to 1,000, default 100; else `INVALID_OPTION`), each with its
   * delivery count, last error and when it is due again. Acked ones leave the list; dead letters
   * are not in it. What each backend can see, and what a page costs, is in its docs.
   *
   * @example
   * ```ts
   * for (const p of await group.pending({ limit: 10 })) console.log(p.event.position, p.deliveries, p.error, p.dueAt);
   * ```
   */
  pending(options?: GroupPageOptions): Promise<GroupPending[]>;
  /** Puts dead letters (all, or these positions) back to be delivered again, counts reset. */
  redrive(positions?: readonly number[]): Promise<number>;
  purge(positions?: readonly number[]): Promise<number>;
}

/**
 * What a backend can do or keep, frozen: the flags on which backends differ and which a user, the
 * broker or the conformance suite acts on. What every backend must do (one global order of
 * positions, at-least-once delivery, `expectedVersion`, idempotent append by id, retention) is
 * the `EventLog` contract itself, checked by every conformance case, not a flag.
 *
 * @example
 * ```ts
 * if (!log.capabilities.survivesServerRestart) console.warn(`${log.capabilities.name}: a restart of its server may lose acked events`);
 * ```
 */
export interface LogCapabilities {
  /** `memory`, `sqlite`, `postgres`, `redis`, `nats`, or a third-party backend's name. */
  readonly name: string;
  /**
   * The log's state (events, stream versions, groups' positions and dead letters, scheduled
   * events) outlives the log object: after `close()`, a log opened again on the same storage
   * (file, schema, key prefix, stream) finds all of it. To claim it, a backend keeps nothing
   * of that state only in the object. Memory: no; SQLite, PostgreSQL, Redis, NATS: yes (Redis
   * also without persistence: the data is in the server, which keeps running). The conformance
   * cases that close and reopen a log (`restart`) need it.
   */
  readonly survivesReopen: boolean;
  /**
   * An append that resolved is still there after the process that stores it dies abruptly
   * (SIGKILL, a crash, not only a clean shutdown) and starts again on the same storage: the
   * server's process (PostgreSQL, Redis, nats-server), or for an embedded store (SQLite) the
   * application's own process. To claim it, a backend resolves an append only once the batch is
   * written to the storage's files (the OS may still hold it in its page cache), not only to the
   * server's memory. SQLite: yes (a WAL commit, either `durability`); PostgreSQL: yes when
   * `synchronous_commit` is not `off` (read at open); Redis: yes only with `appendonly yes`
   * (read at open: Redis writes its AOF before it replies; under `appendfsync everysec` on a disk
   * too slow to keep up, Redis itself may postpone that write by up to 2 s). A server started
   * without a config file (`save` snapshots, `appendonly no`) says no: a kill loses what came
   * after the last snapshot. NATS: yes (JetStream file storage). Memory: no. The conformance
   * cases that restart the server (`restartServer`) need it.
   */
  readonly survivesServerRestart: boolean;
  /**
   * An append resolves only once the batch is flushed to disk (fsync), so it also survives a
   * crash of the machine (OS crash, power loss), by default. Stronger than
   * `survivesServerRestart`, which it implies. SQLite: `durability: 'fsync'` (the default);
   * PostgreSQL: `fsync=on` and `synchronous_commit` not `off`; Redis: `appendonly yes` with
   * `appendfsync always`; NATS: no (JetStream syncs on its own interval); memory: no.
   */
  readonly fsync: boolean;
  /**
   * `group()` opens durable consumer groups (ack, nack, redelivery, dead letters). A log without
   * them rejects `group()` with `CapabilityNotSupportedError`; the broker refuses a durable group
   * subscription on it at `subscribe`, naming this flag, and the conformance suite skips its
   * group cases. Every built-in backend: yes.
   */
  readonly consumerGroups: boolean;
  /**
   * Several processes (or hub instances) may open the same storage at once, each appending,
   * reading and consuming groups, with one global order and each group delivery to one of them.
   * Memory: no (the storage is the object); SQLite (one file, WAL), PostgreSQL, Redis, NATS: yes.
   */
  readonly multiProcess: boolean;
}

/** Retention limits, applied after appends. */
export interface RetentionOptions {
  /** Events recorded longer ago than this are deleted. */
  maxAgeMs?: number;
  /** Only the newest this many events are kept. */
  maxEvents?: number;
}

/** What to append: a full event, or just a type and data (id, time and source are filled). */
export type AppendInput = HeraldEvent | EventInit;

/**
 * The contract every backend implements (memory, SQLite, PostgreSQL, Redis, NATS). The
 * conformance suite in `herald/testing` checks it.
 *
 * @example
 * ```ts
 * const log = memoryLog();
 * const [a] = await log.append([{ type: 'order.created', data: { id: 'o-1' } }], { stream: 'order-o-1', expectedVersion: 'no_stream' });
 * for await (const e of log.read({ from: 'start', types: ['order.>'] })) console.log(e.position, e.type);
 * ```
 */
export interface EventLog {
  readonly capabilities: LogCapabilities;
  /** Appends a batch atomically. See `AppendOptions` and `Appended`. */
  append(events: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]>;
  read(options?: ReadOptions): AsyncIterable<StoredEvent>;
  /** Reads one event by id. */
  get(id: string): Promise<StoredEvent | undefined>;
  subscribe(options?: LogSubscribeOptions): LogSubscription;
  /** Opens (creating if needed) a durable consumer group. */
  group(name: string, options?: GroupOptions): Promise<ConsumerGroup>;
  /** The groups that exist. */
  groups(): Promise<string[]>;
  /** The current version of a stream (0 when it has no event). */
  streamVersion(stream: string): Promise<number>;
  /** Deletes a stream's events with a version below `beforeVersion`. Returns how many. */
  truncateStream(stream: string, beforeVersion: number): Promise<number>;
  /** Deletes every event of a stream. Returns how many. */
  deleteStream(stream: string): Promise<number>;
  /** Applies the retention limits now (also applied after appends). Returns how many were deleted. */
  applyRetention(): Promise<number>;
  /**
   * Stores a batch to be appended when due, atomically (all or none), and resolves once it is
   * durably stored (as durable as an append on this backend). When due, the events are appended
   * with their ids (so a second mover's append is a duplicate and stores nothing), get their
   * positions then, and reach tails and groups like any append. Never appended before their time
   * by the mover's clock; moved by any process that has the log open, so a crash of the one that
   * scheduled them does not lose them. An id already pending is a duplicate (nothing stored).
   *
   * @example
   * ```ts
   * const [s] = await log.schedule([{ type: 'invoice.reminder', data: { id: 'i-1' } }], { delayMs: 86_400_000 });
   * await log.cancelScheduled(s!.id); // true: it will never be appended
   * ```
   */
  schedule(events: readonly AppendInput[], options: ScheduleOptions): Promise<Scheduled[]>;
  /**
   * Cancels a pending scheduled event: true when it was pending and now is never appended; false
   * when no such event is pending (unknown, cancelled, or already taken by a mover: it will be or
   * was appended).
   */
  cancelScheduled(id: string): Promise<boolean>;
  /** The pending scheduled events, in due order (then id), one page at a time. */
  scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]>;
  /** The lowest and highest positions still stored (0, 0 when empty). */
  bounds(): Promise<{ first: number; last: number }>;
  close(): Promise<void>;
}
