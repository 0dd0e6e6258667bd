import { isThenable } from '../delivery/compose.js';
import type { DeliveryContext } from '../delivery/context.js';
import type { HeraldEvent } from '../event/types.js';
import { invalidOption } from '../log/invalid-option.js';
import type {
  EventLog,
  LogPosition,
  ScheduleOptions,
  ScheduledEvent,
  ScheduledPageOptions,
  StoredEvent,
} from '../log/types.js';
import { SubjectIndex } from '../subject/subject-index.js';
import { BrokerDeadLetters } from './broker-dead-letters.js';
import { closedError, requireLog } from './broker-errors.js';
import { openStream } from './consume.js';
import { DeadLetterStore } from './dead-letters.js';
import { DelayedPublishes } from './delayed.js';
import { Dispatcher } from './dispatch.js';
import { DurableMarks } from './durable-marks.js';
import { Envelopes } from './envelope.js';
import type { EventFor, EventMap, EventOf } from './event-map.js';
import { RequestReply } from './request-reply.js';
import { shutdown } from './shutdown.js';
import { SubscriptionRegistry } from './subscriptions.js';
import { TransportLink } from './transport-link.js';
import type {
  Broker,
  BrokerOptions,
  BrokerStats,
  CloseResult,
  ConsumeOptions,
  DelayOptions,
  EventStream,
  Handler,
  PublishAttributes,
  PublishInit,
  PublishOptions,
  ReplyFor,
  ReplyMap,
  ReplyOf,
  RequestOptions,
  StorageOptions,
  SubscribeOptions,
  Subscription,
} from './types.js';

/**
 * Creates an in-process broker. Pass an event map to type `publish` and `subscribe`, and Standard
 * Schema validators to check `data` at run time.
 *
 * @example
 * ```ts
 * type Shop = { 'order.created': { id: string; total: number }; 'order.paid': { id: string } };
 * const broker = createBroker<Shop>({ source: 'shop' });
 * broker.subscribe('order.*', (e) => console.log(e.type, e.data.id), { concurrency: 4, retry: { maxAttempts: 3 } });
 * await broker.publish('order.created', { id: 'o-1', total: 42 });
 * await broker.close();
 * ```
 */
export function createBroker<E extends EventMap = EventMap, R extends ReplyMap<E> = ReplyMap<E>>(
  options: BrokerOptions<E> = {},
): Broker<E, R> {
  return new BrokerImpl<E, R>(options);
}

const LINK_EVENT: HeraldEvent = { specversion: '1.0', id: '-', source: 'herald', type: 'herald.transport' };

/** An event as `publish` and `publishBatch` take it in one object. */
type EventInit = { type: string; data?: unknown } & PublishAttributes;

/**
 * The broker: the publish paths (to the log, over a transport, in process) and the wiring of its
 * parts: envelopes, dispatch, the subscription registry, request/reply and shutdown.
 *
 * The typed signatures of `Broker` are declared as overloads over one untyped implementation
 * each: the event map types what callers pass and get, the implementation sees plain events.
 * `subscribe` and `reply` take the handler as `Handler<never>` (every typed handler is one) and
 * widen it once with `as Handler`: for a generic `E` the compiler cannot resolve the conditional
 * `EventFor<E, P>` to a `HeraldEvent`, though every instance of it is one.
 */
class BrokerImpl<E extends EventMap, R extends ReplyMap<E>> implements Broker<E, R> {
  readonly deadLetters: BrokerDeadLetters;
  readonly #memoryDeadLetters: DeadLetterStore;
  readonly #log: EventLog | undefined;
  readonly #link: TransportLink | undefined;
  readonly #ephemeralTypes: SubjectIndex<true> | undefined;
  readonly #envelopes: Envelopes;
  readonly #subscriptions: SubscriptionRegistry;
  readonly #dispatcher: Dispatcher;
  readonly #requests: RequestReply;
  readonly #onError: NonNullable<BrokerOptions<E>['onError']>;
  readonly #delayed: DelayedPublishes;
  #evicted = 0;
  #closing: Promise<CloseResult> | undefined;

  constructor(options: BrokerOptions<E>) {
    const closed = (): boolean => this.#closing !== undefined;
    const onError =
      options.onError ??
      ((error, info) =>
        console.error(`herald: ${info.kind} in "${info.subscription}" (${info.event.type})`, error));
    this.#onError = onError;
    this.#envelopes = new Envelopes(options);
    this.#log = options.log;
    if (options.ephemeral?.length) {
      this.#ephemeralTypes = new SubjectIndex({ cacheSize: 256 });
      for (const pattern of options.ephemeral) this.#ephemeralTypes.add(pattern, true);
    }
    this.#memoryDeadLetters = new DeadLetterStore(
      options.maxDeadLetters ?? 10_000,
      { redrive: (d) => this.#subscriptions.redrive(d) },
      (d) => {
        this.#evicted++;
        onError(d.cause, { kind: 'dead-letter-evicted', subscription: d.subscription, event: d.event });
      },
    );
    const marks = new DurableMarks(options.maxDeadLetters ?? 10_000);
    this.#subscriptions = new SubscriptionRegistry({
      log: options.log,
      matchCacheSize: options.matchCacheSize ?? 8192,
      context: this.#envelopes.context,
      deadLetters: this.#memoryDeadLetters,
      marks,
      onError,
      closed,
    });
    this.deadLetters = new BrokerDeadLetters(
      this.#memoryDeadLetters,
      () => this.#subscriptions.durables(),
      marks,
    );
    this.#dispatcher = new Dispatcher((type) => this.#subscriptions.route(type), closed);
    if (options.transport) {
      this.#link = new TransportLink(
        options.transport,
        (event) => this.#dispatcher.dispatch(event, 'accepted'),
        (error, event) =>
          onError(error, { kind: 'transport', subscription: '-', event: event ?? LINK_EVENT }),
      );
    }
    this.#requests = new RequestReply(this.#subscriptions, this.#envelopes, this.#link, closed);
    this.#delayed = new DelayedPublishes({
      log: this.#log,
      // With a log every broker tails it, so each delivers to its own subscriptions only.
      deliver: (event) =>
        this.#log === undefined && this.#link
          ? this.#sendThenDispatch([event], 'accepted')
          : this.#dispatcher.dispatch(event, 'accepted'),
      onError: (error, event) =>
        onError(error, { kind: 'delayed', subscription: '-', event: event ?? LINK_EVENT }),
    });
  }

  ready(): Promise<void> {
    return this.#link ? this.#link.ready() : Promise.resolve();
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  publish<K extends keyof E & string>(type: K, data: E[K], options?: PublishOptions): Promise<EventOf<E, K>>;
  publish<K extends keyof E & string>(
    event: PublishInit<E, K>,
    options?: Pick<PublishOptions, 'wait'>,
  ): Promise<EventOf<E, K>>;
  publish(
    typeOrInit: string | EventInit,
    dataOrOptions?: unknown,
    maybeOptions?: PublishOptions,
  ): Promise<HeraldEvent> {
    let event: HeraldEvent | Promise<HeraldEvent>;
    let options: PublishOptions | undefined;
    try {
      if (typeof typeOrInit === 'string') {
        options = maybeOptions;
        event = this.#envelopes.make(typeOrInit, dataOrOptions, maybeOptions);
      } else {
        const { type, data, ...attributes } = typeOrInit;
        options = { ...(dataOrOptions as PublishOptions | undefined), ...attributes };
        event = this.#envelopes.make(type, data, attributes);
      }
      const timing = DelayedPublishes.timing(options);
      if (timing !== undefined) {
        const opts = options;
        return Promise.resolve(event)
          .then((e) => this.#schedule([e], timing, opts))
          .then(([e]) => e!);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const dispatcher = this.#dispatcher;
    if (this.#log !== undefined && !this.#isEphemeral(event, options)) {
      const stored = Promise.resolve(event).then((e) => this.#persist([e], options));
      return stored.then(([e]) => (e!.duplicate ? e!.event : dispatcher.dispatch(e!.event, options?.wait)));
    }
    const wait = options?.wait;
    if (this.#link)
      return Promise.resolve(event).then((e) => this.#sendThenDispatch([e], wait).then(([d]) => d!));
    return isThenable(event)
      ? event.then((e) => dispatcher.dispatch(e, wait))
      : dispatcher.dispatch(event, wait);
  }

  async publishBatch(
    inits: readonly EventInit[],
    options?: Pick<PublishOptions, 'wait'> & StorageOptions & DelayOptions,
  ): Promise<HeraldEvent[]> {
    const events = await Promise.all(
      inits.map(({ type, data, ...attributes }) =>
        Promise.resolve(this.#envelopes.make(type, data, attributes)),
      ),
    );
    const timing = DelayedPublishes.timing(options);
    if (timing !== undefined) return this.#schedule(events, timing, options);
    // Route everything first: an invalid type anywhere rejects the batch before any delivery.
    for (const e of events) this.#subscriptions.checkType(e.type);
    const dispatcher = this.#dispatcher;
    if (this.#log !== undefined && options?.ephemeral !== true) {
      const stored = await this.#persist(events, options);
      return Promise.all(
        stored.map((s) =>
          s.duplicate ? Promise.resolve(s.event) : dispatcher.dispatch(s.event, options?.wait),
        ),
      );
    }
    if (this.#link) return this.#sendThenDispatch(events, options?.wait);
    return Promise.all(events.map((e) => dispatcher.dispatch(e, options?.wait)));
  }

  async replay(
    options: { from?: LogPosition; to?: number; types?: readonly string[] },
    handler: (event: StoredEvent) => unknown,
  ): Promise<number> {
    const log = requireLog(this.#log, 'replay');
    let n = 0;
    const read = log.read({ from: options.from ?? 'start', ...(options.types && { types: options.types }) });
    for await (const event of read) {
      if (options.to !== undefined && event.position > options.to) break;
      await handler(event);
      n++;
    }
    return n;
  }

  subscribe<P extends string>(
    pattern: P,
    handler: Handler<EventFor<E, P>>,
    options?: SubscribeOptions,
  ): Subscription;
  subscribe(pattern: string, handler: Handler<never>, options: SubscribeOptions = {}): Subscription {
    const subscription = this.#subscriptions.add(pattern, handler as Handler, options, false);
    this.#delayed.startTail();
    return subscription;
  }

  cancelScheduled(id: string): Promise<boolean> {
    if (this.#closing) return Promise.reject(closedError());
    return this.#delayed.cancel(id);
  }

  scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]> {
    if (this.#closing) return Promise.reject(closedError());
    return this.#delayed.list(options);
  }

  consume<P extends string>(pattern: P, options?: ConsumeOptions): EventStream<EventFor<E, P>>;
  consume(pattern: string, options: ConsumeOptions = {}): EventStream<HeraldEvent> {
    return openStream((handler, subOptions) => this.subscribe(pattern, handler, subOptions), options);
  }

  request<K extends keyof E & string>(type: K, data: E[K], options?: RequestOptions): Promise<ReplyOf<R, K>>;
  request(type: string, data: unknown, options: RequestOptions = {}): Promise<unknown> {
    return this.#requests.request(type, data, options);
  }

  reply<P extends string>(
    pattern: P,
    handler: (
      event: EventFor<E, P>,
      ctx: DeliveryContext<EventFor<E, P>>,
    ) => ReplyFor<E, R, P> | Promise<ReplyFor<E, R, P>>,
    options?: SubscribeOptions,
  ): Subscription;
  reply(pattern: string, handler: Handler<never>, options: SubscribeOptions = {}): Subscription {
    return this.#requests.reply(pattern, handler as Handler, options);
  }

  stats(): BrokerStats {
    return {
      published: this.#dispatcher.published,
      unrouted: this.#dispatcher.unrouted,
      deadLetters: this.#memoryDeadLetters.size + this.#subscriptions.durableDeadLetters(),
      deadLettersEvicted: this.#evicted,
      subscriptions: this.#subscriptions.stats(),
    };
  }

  close(options: { timeoutMs?: number } = {}): Promise<CloseResult> {
    this.#closing ??= this.#delayed.close().then(() =>
      shutdown(
        {
          link: this.#link,
          subscriptions: this.#subscriptions,
          requests: this.#requests,
          onLinkError: (error) =>
            this.#onError(error, { kind: 'transport', subscription: '-', event: LINK_EVENT }),
        },
        options.timeoutMs ?? 10_000,
      ),
    );
    return this.#closing;
  }

  /** A delayed publish: scheduled whole (with a log, durably), delivered when due. */
  async #schedule(
    events: HeraldEvent[],
    timing: ScheduleOptions,
    options: (StorageOptions & Pick<PublishOptions, 'wait'>) | undefined,
  ): Promise<HeraldEvent[]> {
    if (this.#closing) throw closedError();
    if (options?.wait === 'handled') throw invalidOption('wait', 'handled', "'accepted' with a delay");
    if (options?.expectedVersion !== undefined) {
      throw invalidOption(
        'expectedVersion',
        options.expectedVersion,
        'none with a delay (checked at due time it could only fail)',
      );
    }
    if (options?.ephemeral === true) throw invalidOption('ephemeral', true, 'false with a delay');
    for (const e of events) this.#subscriptions.checkType(e.type);
    return this.#delayed.schedule(events, timing, options?.stream);
  }

  /**
   * Ephemeral events go to the other instances first and are delivered here once sent, so a send
   * that fails delivers nowhere and the publisher is told.
   */
  async #sendThenDispatch(events: HeraldEvent[], wait: PublishOptions['wait']): Promise<HeraldEvent[]> {
    if (this.#closing) throw closedError();
    for (const e of events) this.#subscriptions.checkType(e.type); // never send a type no instance could route
    await Promise.all(events.map((e) => this.#link!.send(e)));
    return Promise.all(events.map((e) => this.#dispatcher.dispatch(e, wait)));
  }

  #isEphemeral(event: HeraldEvent | Promise<HeraldEvent>, options: StorageOptions | undefined): boolean {
    if (options?.ephemeral !== undefined) return options.ephemeral;
    // A promised event comes from an async validator; its type is the published one either way.
    return (
      !isThenable(event) &&
      this.#ephemeralTypes !== undefined &&
      this.#ephemeralTypes.match(event.type).length > 0
    );
  }

  /** Appends events to the log; returns each with its stored position (and whether it was a duplicate). */
  async #persist(
    events: HeraldEvent[],
    options: StorageOptions | undefined,
  ): Promise<{ event: HeraldEvent; duplicate: boolean }[]> {
    if (this.#closing) throw closedError();
    for (const e of events) this.#subscriptions.checkType(e.type); // the type grammar, before anything is stored
    const appended = await this.#log!.append(events, {
      ...(options?.stream !== undefined && { stream: options.stream }),
      ...(options?.expectedVersion !== undefined && { expectedVersion: options.expectedVersion }),
    });
    return appended.map((a, i) => ({
      duplicate: a.duplicate,
      event: {
        ...events[i]!,
        position: a.position,
        ...(a.stream !== undefined && { stream: a.stream }),
        ...(a.version !== undefined && { version: a.version }),
      },
    }));
  }
}
