import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { CircuitBreakerOptions } from '../delivery/circuit-breaker.js';
import type { DeliveryContext, Middleware } from '../delivery/context.js';
import type { DedupeOptions } from '../delivery/dedupe.js';
import type { RetryOptions } from '../delivery/retry.js';
import type { HeraldEvent, HeraldExtensions } from '../event/types.js';
import type {
  EventLog,
  ExpectedVersion,
  LogPosition,
  ScheduledEvent,
  ScheduledPageOptions,
  StoredEvent,
} from '../log/types.js';
import type { DeadLetters } from './dead-letters.js';
import type { EventFor, EventMap, EventOf } from './event-map.js';
import type { OverflowPolicy } from './subscription-runtime.js';
import type { SubscriptionStats } from './subscription-stats.js';
import type { EventTransport } from './transport.js';

/** Attributes a publisher may set; everything else is filled in (id, time, specversion). */
export interface PublishAttributes extends HeraldExtensions {
  id?: string;
  source?: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Sets `expiresat` to now + `ttlMs`. */
  ttlMs?: number;
  /** Any other CloudEvents extension attribute (lower-case a-z0-9 names). */
  [extension: string]: unknown;
}

/** Where a published event is stored, with a log (ignored without one). */
export interface StorageOptions {
  /** Append to this stream (aggregate); the stored event gets `stream` and `version`. */
  stream?: string;
  /** Optimistic concurrency on `stream`: a mismatch rejects with `ConcurrencyError`. */
  expectedVersion?: ExpectedVersion;
  /** Keep this event in memory only: delivered to this process's subscriptions, never stored. */
  ephemeral?: boolean;
}

/**
 * When to deliver: later (`delayMs`) or at a time (`deliverAt`; also the `deliverat` attribute).
 * A delayed publish resolves once the event is scheduled (with a log: durably, in the log's
 * schedule store); when due it is appended and delivered like any publish. Not with
 * `wait: 'handled'`, `expectedVersion` or `ephemeral: true` (`INVALID_OPTION`).
 */
export interface DelayOptions {
  /** Deliver this many ms from now (0 to ten years). */
  delayMs?: number;
  /** Deliver at this time: a Date, an RFC 3339 string with an offset, or Unix ms. */
  deliverAt?: Date | string | number;
}

/** Options of `publish`. */
export interface PublishOptions extends PublishAttributes, StorageOptions, DelayOptions {
  /**
   * `'accepted'` (default): resolve once every matching subscription has queued the event.
   * `'handled'`: resolve once each has handled it, or reject with `HandlerFailedError`.
   */
  wait?: 'accepted' | 'handled';
}

/** An event to publish, as one object: `{ type, data, ...attributes }`. */
export type PublishInit<E extends EventMap, K extends keyof E & string = keyof E & string> = {
  [T in K]: { type: T; data: E[T] } & PublishAttributes;
}[K];

/** A subscription's handler: resolve (or return) to acknowledge, throw to fail the attempt. */
export type Handler<Ev extends HeraldEvent = HeraldEvent> = (event: Ev, ctx: DeliveryContext<Ev>) => unknown;

/** Options of `subscribe`. Policies apply in this order: expiry, dedupe, dead letter, retry, circuit breaker, `middleware`, timeout. */
export interface SubscribeOptions {
  /** Name in stats and dead letters (default: the group, or the pattern with a counter). */
  name?: string;
  /**
   * Group name: subscriptions with the same group share the work, each event to one member. Which
   * kind of group is `durable`'s choice.
   */
  group?: string;
  /**
   * The kind of `group`:
   * - `false`: an in-process queue group (members in this broker; at-most-once, like NATS queue
   *   groups). The only kind without a log.
   * - `true`: the log's durable consumer group of that name (at-least-once, shared by members in
   *   every process, resumed after a restart; `startAt`, `ackWaitMs` apply). Needs a log
   *   (`CAPABILITY_NOT_SUPPORTED` otherwise) and a `group` (`INVALID_OPTION` otherwise); not for
   *   `reply`.
   *
   * Left out, a `group` is durable when the broker has a log and in-process without one: the
   * implicit durable kind is kept for existing code and deprecated; say `durable: true` (or
   * `false`) when the broker has a log.
   *
   * @example
   * ```ts
   * broker.subscribe('order.created', charge, { group: 'billing', durable: true, startAt: 'start' });
   * broker.subscribe('cache.invalidate', evict, { group: 'cache', durable: false });
   * ```
   */
  durable?: boolean;
  /** Handlers running at once (default 1, which keeps order). */
  concurrency?: number;
  /** Bound of the queue, retries waiting included (default 10,000). */
  maxQueue?: number;
  /** At a full queue: `'block'` the publisher (default), `'reject'` it, or `'drop-oldest'`. */
  overflow?: OverflowPolicy;
  /** Fails an attempt that takes longer, and aborts `ctx.signal`. */
  timeoutMs?: number;
  /** Retry policy (default: no retry). */
  retry?: RetryOptions;
  /** Dead-letter events that fail for good (default true; false reports them to `onError`). */
  deadLetter?: boolean;
  circuitBreaker?: CircuitBreakerOptions;
  /** Deliver an event id once per subscription within a window (`true` for the defaults). */
  dedupe?: DedupeOptions | boolean;
  /** Your own policies, between the circuit breaker and the timeout, in array order. */
  middleware?: readonly Middleware[];
  /** Unsubscribes when aborted. */
  signal?: AbortSignal;
  /** For a durable group: where a new group starts (default `'end'`). */
  startAt?: LogPosition;
  /** For a durable group: redeliver an event not acked within this (default 30,000 ms, or 2x `timeoutMs`). */
  ackWaitMs?: number;
}

/** A live subscription. */
export interface Subscription {
  readonly name: string;
  readonly pattern: string;
  /**
   * Resolves once the subscription receives events: at once in process; for a durable group,
   * once the log's group is open. Rejects with why it never will (the subscription is then
   * gone): `INVALID_OPTION` when the durable group exists on another pattern, a log error. The
   * same error also goes to `onError`, so not awaiting it loses nothing.
   *
   * @example
   * ```ts
   * const sub = broker.subscribe('order.>', handle, { group: 'billing', durable: true });
   * await sub.ready; // throws INVALID_OPTION if 'billing' is on another pattern
   * ```
   */
  readonly ready: Promise<void>;
  /** Stops routing new events here; resolves when what was queued has been handled. */
  unsubscribe(): Promise<void>;
}

/** Options of `consume`. */
export interface ConsumeOptions extends Pick<
  SubscribeOptions,
  'name' | 'group' | 'durable' | 'overflow' | 'signal'
> {
  /** Events buffered ahead of the consumer (default 256). */
  bufferSize?: number;
}

/** An async iterator over a subscription; `return()` (or `break`) unsubscribes. */
export type EventStream<Ev> = AsyncIterableIterator<Ev> & { close(): Promise<void> };

/** Options of `request`. */
export interface RequestOptions extends PublishAttributes {
  /** Fails with `REQUEST_TIMEOUT` after this long (default 5,000 ms). */
  timeoutMs?: number;
}

/** What `close` could not finish by its deadline: nothing is dropped without being listed here. */
export interface CloseResult {
  /** True when every queue drained and every handler finished in time. */
  drained: boolean;
  /** Events that were queued or waiting to retry, never handled. */
  undelivered: { subscription: string; event: HeraldEvent }[];
  /** Events whose handlers were still running at the deadline (their signals were aborted). */
  inFlight: { subscription: string; event: HeraldEvent }[];
  /** Publishers that were waiting for queue space and got `BROKER_CLOSED`. */
  refusedPublishers: number;
}

/** `broker.stats()`. */
export interface BrokerStats {
  /** Events accepted by `publish`. */
  published: number;
  /** Events published that no subscription matched. */
  unrouted: number;
  /**
   * Dead letters now: the in-memory ones, plus each durable group's (of this broker's members) as
   * last read from the log (at the member's start, after its dead letters, redrives and purges).
   */
  deadLetters: number;
  /** In-memory dead letters evicted from a full store. */
  deadLettersEvicted: number;
  subscriptions: SubscriptionStats[];
}

/** Options of `createBroker`. */
export interface BrokerOptions<E extends EventMap> {
  /** `source` of events that do not set one (default `'herald'`). */
  source?: string;
  /** Validators for `data` per type: any Standard Schema (zod, valibot, arktype, ...). */
  schemas?: { [K in keyof E]?: StandardSchemaV1<unknown, E[K]> };
  /**
   * The durable event log. With it, events are appended before they are delivered, subscriptions
   * with `group` and `durable: true` are the log's consumer groups (a `group` without `durable`
   * too, the deprecated implicit kind), and `replay` reads history.
   */
  log?: EventLog;
  /** Types (patterns) kept in memory only, never stored, e.g. high-rate `terminal.output.>`. */
  ephemeral?: readonly string[];
  /**
   * Carries events that are not stored (every event without a log; the `ephemeral` ones with a
   * log) to the other brokers on the same transport, and delivers theirs here like local
   * publishes. At-most-once; a send that fails rejects the publish and delivers nowhere. With a
   * transport that has `requests` (core NATS), `request`/`reply` cross instances too. The broker
   * closes the transport when it closes. See `docs/broker.md`.
   */
  transport?: EventTransport;
  /** Bound of the dead-letter store (default 10,000; the oldest is evicted and reported). */
  maxDeadLetters?: number;
  /**
   * Events published inside a handler inherit `correlationid` and get `causationid` (default
   * true), through this broker or any other in the process. Handlers run in one
   * `AsyncLocalStorage` shared by all brokers, which on Node 20 turns on promise hooks for the
   * whole process (about 30 ns more per promise); `false` turns it off for this broker.
   */
  correlation?: boolean;
  /**
   * Types whose routes are cached (default 8,192): a cached type goes straight to its
   * subscriptions; (un)subscribing updates the cached routes it affects. At most a few MB even at
   * 255-character types; the cache stops filling while few lookups hit it (see `SubjectIndex`).
   */
  matchCacheSize?: number;
  /**
   * Told of what did not end well and has no other place: handler failures with dead letters off,
   * drop-oldest victims, evicted dead letters. Default: `console.error`.
   */
  onError?: (
    error: unknown,
    info: {
      /**
       * `transport`: a message from another instance was malformed or refused by full queues.
       * `delayed`: a due delayed event could not be delivered in process (full queues), or the
       * tail that brings them from the log failed.
       */
      kind: 'handler-failed' | 'dropped' | 'dead-letter-evicted' | 'transport' | 'delayed';
      subscription: string;
      event: HeraldEvent;
    },
  ) => void;
}

/** Replies declared per request type (for `request` / `reply` typing). */
export type ReplyMap<E extends EventMap> = { [K in keyof E]?: unknown };

export type ReplyOf<R, K> = K extends keyof R ? R[K] : unknown;
export type ReplyFor<E extends EventMap, R, P extends string> = string extends keyof E
  ? unknown
  : ReplyOf<R, EventFor<E, P>['type']>;

/**
 * The broker: publish, subscribe, request/reply, dead letters, stats and close.
 *
 * @example
 * ```ts
 * const broker = createBroker<{ 'order.created': { id: string } }>();
 * broker.subscribe('order.*', (e) => console.log(e.type, e.data.id));
 * await broker.publish('order.created', { id: 'o-1' });
 * ```
 */
export interface Broker<E extends EventMap = EventMap, R extends ReplyMap<E> = ReplyMap<E>> {
  /** Publishes `data` as an event of `type`; resolves with the event once accepted (or handled). */
  publish<K extends keyof E & string>(type: K, data: E[K], options?: PublishOptions): Promise<EventOf<E, K>>;
  /** Publishes one event given as an object. */
  publish<K extends keyof E & string>(
    event: PublishInit<E, K>,
    options?: Pick<PublishOptions, 'wait'>,
  ): Promise<EventOf<E, K>>;
  /** Publishes several events; all are validated (and, with a log, appended atomically) before any is delivered. */
  publishBatch(
    events: readonly PublishInit<E>[],
    options?: Pick<PublishOptions, 'wait'> & StorageOptions & DelayOptions,
  ): Promise<HeraldEvent[]>;
  /**
   * Cancels a delayed publish by event id: true when it was pending and now is never delivered.
   *
   * @example
   * ```ts
   * const e = await broker.publish('invoice.reminder', { id: 'i-1' }, { delayMs: 86_400_000 });
   * await broker.cancelScheduled(e.id); // true
   * ```
   */
  cancelScheduled(id: string): Promise<boolean>;
  /** The delayed publishes still pending, in due order (with a log: every process's, from the log). */
  scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]>;
  /**
   * Reads the log's history from `from` (inclusive) to `to` (inclusive) for the `types` patterns,
   * calling `handler` for each event in position order; resolves with how many. Needs a log.
   */
  replay(
    options: { from?: LogPosition; to?: number; types?: readonly string[] },
    handler: (event: StoredEvent) => unknown,
  ): Promise<number>;
  /** Calls `handler` for every event whose type matches `pattern` (`*` one token, `>` the rest). */
  subscribe<P extends string>(
    pattern: P,
    handler: Handler<EventFor<E, P>>,
    options?: SubscribeOptions,
  ): Subscription;
  /** Iterates the events matching `pattern` through a bounded buffer. */
  consume<P extends string>(pattern: P, options?: ConsumeOptions): EventStream<EventFor<E, P>>;
  /** Sends a request to the responders of `type`; the first reply wins. */
  request<K extends keyof E & string>(type: K, data: E[K], options?: RequestOptions): Promise<ReplyOf<R, K>>;
  /** Answers requests matching `pattern` with the handler's return value. */
  reply<P extends string>(
    pattern: P,
    handler: (
      event: EventFor<E, P>,
      ctx: DeliveryContext<EventFor<E, P>>,
    ) => ReplyFor<E, R, P> | Promise<ReplyFor<E, R, P>>,
    options?: SubscribeOptions,
  ): Subscription;
  readonly deadLetters: DeadLetters;
  stats(): BrokerStats;
  /**
   * Resolves once events from other instances are received (the transport's subscription is
   * active); at once without a transport. Events sent before that are not seen here.
   */
  ready(): Promise<void>;
  /** Stops accepting, drains, waits for handlers; reports what it could not finish by the deadline. */
  close(options?: { timeoutMs?: number }): Promise<CloseResult>;
  readonly closed: boolean;
}
