import { AsyncLocalStorage } from 'node:async_hooks';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { circuitBreaker } from '../delivery/circuit-breaker.js';
import { compose, isThenable } from '../delivery/compose.js';
import type { DeliveryContext, Middleware } from '../delivery/context.js';
import { deadLetter } from '../delivery/dead-letter.js';
import { dedupe } from '../delivery/dedupe.js';
import { expiry } from '../delivery/expiry.js';
import { retry } from '../delivery/retry.js';
import { timeout } from '../delivery/timeout.js';
import {
  CapabilityNotSupportedError,
  HeraldError,
  HandlerFailedError,
  type HandlerFailure,
} from '../errors/herald-error.js';
import { createEvent } from '../event/create-event.js';
import type { HeraldEvent } from '../event/types.js';
import { SubjectIndex } from '../subject/subject-index.js';
import { DeadLetterStore, type DeadLetter } from './dead-letters.js';
import { BrokerDeadLetters } from './broker-dead-letters.js';
import { DurableMarks } from './durable-marks.js';
import { DurableSubscription } from './durable-subscription.js';
import { assertGroupPattern, joinGroup } from './join-group.js';
import type { EventLog, LogPosition, StoredEvent } from '../log/types.js';
import { validatePattern } from '../subject/subject.js';
import type { Tracker } from './delivery.js';
import type { EventMap } from './event-map.js';
import { openStream } from './consume.js';
import { routeGroups, type GroupRouter } from './groups.js';
import { Scheduler } from './scheduler.js';
import { SubscriptionRuntime } from './subscription-runtime.js';
import { TransportLink } from './transport-link.js';
import type {
  Broker,
  BrokerOptions,
  BrokerStats,
  CloseResult,
  ConsumeOptions,
  EventStream,
  Handler,
  PublishAttributes,
  PublishOptions,
  ReplyMap,
  StorageOptions,
  RequestOptions,
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
  return new BrokerImpl(options) as unknown as Broker<E, R>;
}

interface PendingRequest {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** None for a request from another instance: its requester keeps the deadline. */
  timer?: NodeJS.Timeout;
}

const LINK_EVENT: HeraldEvent = { specversion: '1.0', id: '-', source: 'herald', type: 'herald.transport' };

const closedError = (): HeraldError =>
  new HeraldError('BROKER_CLOSED', 'the broker is closed and accepts no more events');

class BrokerImpl {
  readonly deadLetters: BrokerDeadLetters;
  private readonly memoryDeadLetters: DeadLetterStore;
  private readonly log: EventLog | undefined;
  private readonly link: TransportLink | undefined;
  private readonly ephemeralTypes: SubjectIndex<true> | undefined;
  private readonly durables = new Map<string, DurableSubscription>();
  private readonly durableMarks: DurableMarks;
  private readonly context = new AsyncLocalStorage<HeraldEvent>();
  private readonly index: SubjectIndex<SubscriptionRuntime>;
  private readonly responders: SubjectIndex<SubscriptionRuntime>;
  private readonly subs = new Map<string, SubscriptionRuntime>();
  private readonly groups: GroupRouter = { counters: new Map(), grouped: 0, plans: new WeakMap() };
  private readonly requests = new Map<string, PendingRequest>();
  private readonly scheduler = new Scheduler();
  private readonly defaults: { source: string };
  private readonly correlation: boolean;
  private readonly schemas: Record<string, StandardSchemaV1 | undefined> | undefined;
  private readonly onError: NonNullable<BrokerOptions<EventMap>['onError']>;
  private published = 0;
  private unrouted = 0;
  private evicted = 0;
  private nameCounter = 0;
  private closing: Promise<CloseResult> | undefined;

  constructor(options: BrokerOptions<EventMap>) {
    this.defaults = { source: options.source ?? 'herald' };
    this.correlation = options.correlation ?? true;
    this.schemas = options.schemas;
    this.onError =
      options.onError ??
      ((error, info) =>
        console.error(`herald: ${info.kind} in "${info.subscription}" (${info.event.type})`, error));
    const cacheSize = options.matchCacheSize ?? 1024;
    this.index = new SubjectIndex({ cacheSize });
    this.responders = new SubjectIndex({ cacheSize: Math.min(cacheSize, 256) });
    this.log = options.log;
    if (options.ephemeral?.length) {
      this.ephemeralTypes = new SubjectIndex({ cacheSize: 256 });
      for (const pattern of options.ephemeral) this.ephemeralTypes.add(pattern, true);
    }
    this.memoryDeadLetters = new DeadLetterStore(
      options.maxDeadLetters ?? 10_000,
      { redrive: (d) => this.redrive(d) },
      (d) => {
        this.evicted++;
        this.onError(d.cause, { kind: 'dead-letter-evicted', subscription: d.subscription, event: d.event });
      },
    );
    this.durableMarks = new DurableMarks(options.maxDeadLetters ?? 10_000);
    this.deadLetters = new BrokerDeadLetters(
      this.memoryDeadLetters,
      () => this.durables.values(),
      this.durableMarks,
    );
    if (options.transport) {
      this.link = new TransportLink(
        options.transport,
        (event) => this.dispatch(event, 'accepted'),
        (error, event) =>
          this.onError(error, { kind: 'transport', subscription: '-', event: event ?? LINK_EVENT }),
      );
    }
  }

  ready(): Promise<void> {
    return this.link ? this.link.ready() : Promise.resolve();
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  publish(
    typeOrInit: string | ({ type: string; data?: unknown } & PublishAttributes),
    dataOrOptions?: unknown,
    maybeOptions?: PublishOptions,
  ): Promise<HeraldEvent> {
    let event: HeraldEvent | Promise<HeraldEvent>;
    let options: PublishOptions | undefined;
    try {
      if (typeof typeOrInit === 'string') {
        options = maybeOptions;
        event = this.makeEvent(typeOrInit, dataOrOptions, maybeOptions);
      } else {
        const { type, data, ...attributes } = typeOrInit;
        options = { ...(dataOrOptions as PublishOptions | undefined), ...attributes };
        event = this.makeEvent(type, data, attributes);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.log !== undefined && !this.isEphemeral(event, options)) {
      const stored = Promise.resolve(event).then((e) => this.persist([e], options));
      return stored.then(([e]) => (e!.duplicate ? e!.event : this.dispatch(e!.event, options?.wait)));
    }
    const wait = options?.wait;
    if (this.link)
      return Promise.resolve(event).then((e) => this.sendThenDispatch([e], wait).then(([d]) => d!));
    return isThenable(event) ? event.then((e) => this.dispatch(e, wait)) : this.dispatch(event, wait);
  }

  /**
   * Ephemeral events go to the other instances first and are delivered here once sent, so a send
   * that fails delivers nowhere and the publisher is told.
   */
  private async sendThenDispatch(
    events: HeraldEvent[],
    wait: PublishOptions['wait'],
  ): Promise<HeraldEvent[]> {
    if (this.closing) throw closedError();
    for (const e of events) this.index.match(e.type); // never send a type no instance could route
    await Promise.all(events.map((e) => this.link!.send(e)));
    return Promise.all(events.map((e) => this.dispatch(e, wait)));
  }

  async replay(
    options: { from?: LogPosition; to?: number; types?: readonly string[] },
    handler: (event: StoredEvent) => unknown,
  ): Promise<number> {
    const log = this.requireLog('replay');
    let n = 0;
    const read = log.read({ from: options.from ?? 'start', ...(options.types && { types: options.types }) });
    for await (const event of read) {
      if (options.to !== undefined && event.position > options.to) break;
      await handler(event);
      n++;
    }
    return n;
  }

  private requireLog(what: string): EventLog {
    if (this.log === undefined) {
      throw new HeraldError('CAPABILITY_NOT_SUPPORTED', `${what} needs a log: createBroker({ log })`, {
        details: { capability: what },
      });
    }
    return this.log;
  }

  private isEphemeral(
    event: HeraldEvent | Promise<HeraldEvent>,
    options: StorageOptions | undefined,
  ): boolean {
    if (options?.ephemeral !== undefined) return options.ephemeral;
    // A promised event comes from an async validator; its type is the published one either way.
    return (
      !isThenable(event) &&
      this.ephemeralTypes !== undefined &&
      this.ephemeralTypes.match(event.type).length > 0
    );
  }

  /** Appends events to the log; returns each with its stored position (and whether it was a duplicate). */
  private async persist(
    events: HeraldEvent[],
    options: StorageOptions | undefined,
  ): Promise<{ event: HeraldEvent; duplicate: boolean }[]> {
    if (this.closing) throw closedError();
    for (const e of events) this.index.match(e.type); // the type grammar, before anything is stored
    const appended = await this.log!.append(events, {
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

  async publishBatch(
    inits: readonly ({ type: string; data?: unknown } & PublishAttributes)[],
    options?: Pick<PublishOptions, 'wait'> & StorageOptions,
  ): Promise<HeraldEvent[]> {
    const events = await Promise.all(
      inits.map(({ type, data, ...attributes }) => Promise.resolve(this.makeEvent(type, data, attributes))),
    );
    // Route everything first: an invalid type anywhere rejects the batch before any delivery.
    for (const e of events) this.index.match(e.type);
    if (this.log !== undefined && options?.ephemeral !== true) {
      const stored = await this.persist(events, options);
      return Promise.all(
        stored.map((s) => (s.duplicate ? Promise.resolve(s.event) : this.dispatch(s.event, options?.wait))),
      );
    }
    if (this.link) return this.sendThenDispatch(events, options?.wait);
    return Promise.all(events.map((e) => this.dispatch(e, options?.wait)));
  }

  subscribe(pattern: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    return this.addSubscription(this.index, pattern, handler, options);
  }

  reply(
    pattern: string,
    handler: (event: HeraldEvent, ctx: DeliveryContext) => unknown,
    options: SubscribeOptions = {},
  ): Subscription {
    const answer = (id: string, value: unknown): void => {
      const pending = this.requests.get(id);
      if (!pending) return; // already answered by another responder, or timed out
      this.requests.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(value);
    };
    const respond: Handler = (event, ctx) => {
      const value = handler(event, ctx);
      if (isThenable(value)) return value.then((v) => answer(event.id, v));
      answer(event.id, value);
      return undefined;
    };
    // A failed responder answers the requester with its error instead of a dead letter.
    const sub = this.addSubscription(this.responders, pattern, respond, { deadLetter: false, ...options });
    const remote = this.link?.requests;
    if (remote === undefined) return sub;
    const runtime = this.subs.get(sub.name)!;
    const stop = remote.respond(
      pattern,
      { ...(options.group !== undefined && { group: options.group }) },
      (e) => this.answerRemote(runtime, e),
    );
    return { ...sub, unsubscribe: () => Promise.all([stop(), sub.unsubscribe()]).then(() => undefined) };
  }

  /** Runs a request from another instance through this responder, policies included. */
  private answerRemote(runtime: SubscriptionRuntime, event: HeraldEvent): Promise<unknown> {
    if (this.closing) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.requests.set(event.id, { resolve, reject });
      const tracker: Tracker = {
        settle: (subscription, error, attempts, failed) => {
          if (!failed || !this.requests.delete(event.id)) return;
          reject(new HandlerFailedError(event.type, [{ subscription, error, attempts }]));
        },
      };
      const offered = runtime.offer(event, tracker);
      if (offered instanceof HeraldError) tracker.settle(runtime.name, offered, 0, true);
      else if (offered !== true)
        offered.catch((error: unknown) => tracker.settle(runtime.name, error, 0, true));
    });
  }

  request(type: string, data: unknown, options: RequestOptions = {}): Promise<unknown> {
    const { timeoutMs = 5_000, ...attributes } = options;
    let made: HeraldEvent | Promise<HeraldEvent>;
    try {
      made = this.makeEvent(type, data, attributes);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(made).then((event) => {
      if (this.closing) throw closedError();
      // Over the transport every responder, this instance's too, is reached the same way.
      if (this.link?.requests) return this.link.requests.request(event, timeoutMs);
      const targets = routeGroups(this.groups, this.responders, event.type);
      if (targets.length === 0) {
        throw new HeraldError('NO_RESPONDERS', `no responders for request "${event.type}"`, {
          details: { type: event.type },
        });
      }
      return new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.requests.delete(event.id);
          reject(
            new HeraldError(
              'REQUEST_TIMEOUT',
              `request "${event.type}" got no reply within ${timeoutMs} ms`,
              { details: { type: event.type, timeoutMs } },
            ),
          );
        }, timeoutMs);
        this.requests.set(event.id, { resolve, reject, timer });
        let remaining = targets.length;
        const failures: HandlerFailure[] = [];
        const tracker: Tracker = {
          settle: (subscription, error, attempts, failed) => {
            if (failed) failures.push({ subscription, error, attempts });
            if (--remaining > 0 || !this.requests.has(event.id)) return;
            // Every responder finished without answering: all of them failed.
            this.requests.delete(event.id);
            clearTimeout(timer);
            reject(new HandlerFailedError(event.type, failures));
          },
        };
        for (const sub of targets) {
          const offered = sub.offer(event, tracker);
          if (offered instanceof HeraldError) tracker.settle(sub.name, offered, 0, true);
        }
      });
    });
  }

  consume(pattern: string, options: ConsumeOptions = {}): EventStream<HeraldEvent> {
    return openStream((handler, subOptions) => this.subscribe(pattern, handler, subOptions), options);
  }

  stats(): BrokerStats {
    return {
      published: this.published,
      unrouted: this.unrouted,
      deadLetters: this.memoryDeadLetters.size + this.durableDeadLetters(),
      deadLettersEvicted: this.evicted,
      subscriptions: [...this.subs.values(), ...this.durables.values()].map((s) => s.stats()),
    };
  }

  /** Each durable group of this broker once, with its count as last read from the log. */
  private durableDeadLetters(): number {
    let n = 0;
    const seen = new Set<string>();
    for (const d of this.durables.values()) {
      if (seen.has(d.group)) continue;
      seen.add(d.group);
      n += this.durableMarks.count(d.group);
    }
    return n;
  }

  close(options: { timeoutMs?: number } = {}): Promise<CloseResult> {
    this.closing ??= this.shutdown(options.timeoutMs ?? 10_000);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<CloseResult> {
    // Nothing more from other instances: what arrived is drained below like local publishes.
    const unlinked = this.link
      ?.close()
      .catch((error: unknown) =>
        this.onError(error, { kind: 'transport', subscription: '-', event: LINK_EVENT }),
      );
    const runtimes = [...this.subs.values()];
    let refusedPublishers = 0;
    for (const s of runtimes) refusedPublishers += s.refuseBlocked(closedError());
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      Promise.all([
        ...runtimes.map((s) => s.whenIdle()),
        ...[...this.durables.values()].map((d) => d.close()),
      ]).then(() => 'drained' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    const result: CloseResult = {
      drained: outcome === 'drained',
      undelivered: [],
      inFlight: [],
      refusedPublishers,
    };
    const reason =
      outcome === 'timeout'
        ? new HeraldError(
            'BROKER_CLOSED',
            `the broker closed before this delivery finished (deadline ${timeoutMs} ms)`,
          )
        : closedError();
    // Requests first: abandoning their deliveries below would otherwise fail them as
    // HANDLER_FAILED, where the requester is owed the plain BROKER_CLOSED.
    for (const [id, pending] of this.requests) {
      clearTimeout(pending.timer);
      pending.reject(reason);
      this.requests.delete(id);
    }
    if (outcome === 'timeout') {
      for (const s of runtimes) {
        const left = s.abandon(reason);
        for (const event of left.undelivered) result.undelivered.push({ subscription: s.name, event });
        for (const event of left.inFlight) result.inFlight.push({ subscription: s.name, event });
      }
      for (const d of this.durables.values()) {
        for (const event of d.abandon(reason)) result.inFlight.push({ subscription: d.name, event });
      }
    }
    await unlinked;
    return result;
  }

  /** Builds the envelope: correlation from the handler being run, ttl, schema validation. */
  private makeEvent(
    type: string,
    data: unknown,
    attributes: PublishAttributes | undefined,
  ): HeraldEvent | Promise<HeraldEvent> {
    const schema = this.schemas?.[type];
    if (schema) {
      const checked = schema['~standard'].validate(data);
      if (isThenable(checked))
        return checked.then((r) => this.envelope(type, validated(type, r), attributes));
      data = validated(type, checked);
    }
    return this.envelope(type, data, attributes);
  }

  private envelope(type: string, data: unknown, attributes: PublishAttributes | undefined): HeraldEvent {
    const parent = this.correlation ? this.context.getStore() : undefined;
    if (attributes === undefined && parent === undefined) return createEvent({ type, data }, this.defaults);
    const {
      wait: _wait,
      ttlMs,
      stream: _stream,
      expectedVersion: _expected,
      ephemeral: _ephemeral,
      ...rest
    } = (attributes ?? {}) as PublishOptions;
    const init: Record<string, unknown> = { ...rest, type, data };
    if (parent) {
      init.correlationid ??= parent.correlationid ?? parent.id;
      init.causationid ??= parent.id;
    }
    if (ttlMs !== undefined) init.expiresat = new Date(Date.now() + ttlMs).toISOString();
    return createEvent(init as { type: string }, this.defaults);
  }

  private dispatch(event: HeraldEvent, wait: PublishOptions['wait']): Promise<HeraldEvent> {
    if (this.closing) return Promise.reject(closedError());
    let targets: readonly SubscriptionRuntime[];
    try {
      targets = routeGroups(this.groups, this.index, event.type);
    } catch (error) {
      return Promise.reject(error);
    }
    this.published++;
    if (targets.length === 0) {
      this.unrouted++;
      return Promise.resolve(event);
    }
    let tracker: HandledTracker | undefined;
    if (wait === 'handled') tracker = new HandledTracker(event, targets.length);
    let blocked: Promise<void>[] | undefined;
    let refused: HeraldError[] | undefined;
    for (const sub of targets) {
      const offered = sub.offer(event, tracker);
      if (offered === true) continue;
      if (offered instanceof HeraldError) {
        (refused ??= []).push(offered);
        tracker?.settle(sub.name, offered, 0, true);
      } else {
        (blocked ??= []).push(offered);
      }
    }
    if (blocked === undefined && refused === undefined)
      return tracker ? tracker.promise : Promise.resolve(event);
    const settled = blocked ? Promise.all(blocked) : Promise.resolve();
    return settled.then(() => {
      if (refused && !tracker) {
        const names = refused.map((e) => e.details.subscription as string);
        throw new HeraldError(
          'QUEUE_FULL',
          `event "${event.type}" refused by full subscription(s) ${names.join(', ')}; ${targets.length - refused.length} other(s) accepted it`,
          {
            details: {
              id: event.id,
              type: event.type,
              subscriptions: names,
              accepted: targets.length - refused.length,
            },
            cause: refused[0],
          },
        );
      }
      return tracker ? tracker.promise : event;
    });
  }

  private addSubscription(
    index: SubjectIndex<SubscriptionRuntime>,
    pattern: string,
    handler: Handler,
    options: SubscribeOptions,
  ): Subscription {
    if (this.closing) throw closedError();
    const concurrency = checkCount('concurrency', options.concurrency ?? 1);
    const maxQueue = checkCount('maxQueue', options.maxQueue ?? 10_000);
    // Checked at run time too: JavaScript callers and configuration files bypass the type.
    const overflow = (options.overflow as string | undefined) ?? 'block';
    if (overflow !== 'block' && overflow !== 'reject' && overflow !== 'drop-oldest') {
      throw new HeraldError(
        'INVALID_OPTION',
        `overflow must be 'block', 'reject' or 'drop-oldest', got ${JSON.stringify(overflow)}`,
        { details: { option: 'overflow' } },
      );
    }
    const group = options.group;
    if (this.isDurable(options, index === this.responders)) {
      return this.addDurable(pattern, handler, options, group!, concurrency);
    }
    const name = options.name ?? `${group ?? pattern}#${++this.nameCounter}`;
    if (this.subs.has(name) || this.durables.has(name)) {
      throw new HeraldError('INVALID_OPTION', `a subscription named "${name}" already exists`, {
        details: { option: 'name', name },
      });
    }
    const runtime = new SubscriptionRuntime({
      name,
      pattern,
      group,
      concurrency,
      maxQueue,
      overflow,
      chain: compose(this.policies(options, group), (ctx) => handler(ctx.event, ctx)),
      context: this.correlation ? this.context : undefined,
      scheduler: this.scheduler,
      report: (kind, error, event, subscription) => this.onError(error, { kind, subscription, event }),
    });
    index.add(pattern, runtime); // validates the pattern before anything is registered
    this.subs.set(name, runtime);
    if (group !== undefined) this.groups.grouped++;
    let removed: Promise<void> | undefined;
    const unsubscribe = (): Promise<void> =>
      (removed ??= (async () => {
        index.remove(pattern, runtime);
        runtime.active = false;
        if (group !== undefined) this.groups.grouped--;
        await runtime.whenIdle();
        this.subs.delete(name);
      })());
    if (options.signal) {
      if (options.signal.aborted) void unsubscribe();
      else options.signal.addEventListener('abort', () => void unsubscribe(), { once: true });
    }
    return { name, pattern, ready: Promise.resolve(), unsubscribe };
  }

  /**
   * Which kind of group a subscription joins: `durable` says; left out, a group is durable when
   * there is a log (the deprecated implicit kind, kept for existing code). Responders are never
   * durable.
   */
  private isDurable(options: SubscribeOptions, responder: boolean): boolean {
    const { group, durable } = options;
    if (durable === true) {
      const invalid = (why: string): HeraldError =>
        new HeraldError('INVALID_OPTION', `durable: true ${why}`, {
          details: { option: 'durable', value: true },
        });
      if (responder) throw invalid('is not for reply: a responder answers in process');
      if (group === undefined) throw invalid("needs a group: { group: 'name', durable: true }");
      this.requireLog('durable: true');
      return true;
    }
    return durable === undefined && group !== undefined && this.log !== undefined && !responder;
  }

  /**
   * A member of a durable consumer group in the log: pulls, runs the chain, acks or nacks. The
   * group has one pattern: a member with another pattern is refused.
   */
  private addDurable(
    pattern: string,
    handler: Handler,
    options: SubscribeOptions,
    group: string,
    concurrency: number,
  ): Subscription {
    const log = this.log!;
    if (!log.capabilities.consumerGroups)
      throw new CapabilityNotSupportedError('consumerGroups', log.capabilities.name);
    validatePattern(pattern);
    for (const other of this.durables.values()) {
      if (other.group === group) assertGroupPattern(group, [other.pattern], pattern);
    }
    const name = options.name ?? `${group}#${++this.nameCounter}`;
    if (this.subs.has(name) || this.durables.has(name)) {
      throw new HeraldError('INVALID_OPTION', `a subscription named "${name}" already exists`, {
        details: { option: 'name', name },
      });
    }
    const ackWaitMs = options.ackWaitMs ?? Math.max(30_000, 2 * (options.timeoutMs ?? 0));
    const consumer = joinGroup(log, group, pattern, {
      ackWaitMs,
      maxDeliveries: options.retry?.maxAttempts ?? 1,
      ...(options.startAt !== undefined && { startAt: options.startAt }),
    });
    const durable = new DurableSubscription(
      consumer,
      {
        name,
        pattern,
        group,
        concurrency,
        chain: compose(this.durablePolicies(options), (ctx) => handler(ctx.event, ctx)),
        context: this.correlation ? this.context : undefined,
        retry: options.retry,
        pullWaitMs: 1_000,
        marks: this.durableMarks,
      },
      (error) =>
        this.onError(error, {
          kind: 'handler-failed',
          subscription: name,
          event: { specversion: '1.0', id: '-', source: 'herald', type: 'herald.log.error' },
        }),
      () => void unsubscribe(),
    );
    this.durables.set(name, durable);
    let removed: Promise<void> | undefined;
    const unsubscribe = (): Promise<void> =>
      (removed ??= durable.close().then(() => void this.durables.delete(name)));
    const ready = consumer.then(() => undefined);
    // Refused (another pattern) or the log failed: the member is gone; `ready` and onError say why.
    ready.catch(() => void unsubscribe());
    if (options.signal) {
      if (options.signal.aborted) void unsubscribe();
      else options.signal.addEventListener('abort', () => void unsubscribe(), { once: true });
    }
    return { name, pattern, ready, unsubscribe };
  }

  /** Durable groups: retries and dead letters belong to the log; the other policies run here. */
  private durablePolicies(options: SubscribeOptions): Middleware[] {
    const chain: Middleware[] = [expiry()];
    if (options.dedupe) chain.push(dedupe(options.dedupe === true ? {} : options.dedupe));
    if (options.circuitBreaker) chain.push(circuitBreaker(options.circuitBreaker));
    if (options.middleware) chain.push(...options.middleware);
    if (options.timeoutMs !== undefined) chain.push(timeout(options.timeoutMs));
    return chain;
  }

  /** The documented order: expiry, dedupe, dead letter, retry, circuit breaker, user, timeout. */
  private policies(options: SubscribeOptions, group: string | undefined): Middleware[] {
    const chain: Middleware[] = [expiry()];
    if (options.dedupe) chain.push(dedupe(options.dedupe === true ? {} : options.dedupe));
    if (options.deadLetter !== false)
      chain.push(deadLetter((input) => this.memoryDeadLetters.add(input, group)));
    if (options.retry) chain.push(retry(options.retry));
    if (options.circuitBreaker) chain.push(circuitBreaker(options.circuitBreaker));
    if (options.middleware) chain.push(...options.middleware);
    if (options.timeoutMs !== undefined) chain.push(timeout(options.timeoutMs));
    return chain;
  }

  private async redrive(entry: DeadLetter): Promise<void> {
    if (this.closing) throw closedError();
    let target = this.subs.get(entry.subscription);
    if ((!target || !target.active) && entry.group !== undefined) {
      target = [...this.subs.values()].find((s) => s.active && s.group === entry.group);
    }
    if (!target?.active) {
      throw new HeraldError(
        'SUBSCRIPTION_NOT_FOUND',
        `cannot redrive dead letter ${entry.id}: subscription "${entry.subscription}" no longer exists`,
        {
          details: { id: entry.id, subscription: entry.subscription },
        },
      );
    }
    const offered = target.offer(entry.event, undefined, true);
    if (offered instanceof HeraldError) throw offered;
    if (offered !== true) await offered;
  }
}

function checkCount(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new HeraldError('INVALID_OPTION', `${option} must be an integer >= 1, got ${String(value)}`, {
      details: { option, value },
    });
  }
  return value;
}

function validated(type: string, result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues === undefined) return result.value;
  const issues = result.issues.map((i) => ({
    message: i.message,
    path: i.path?.map((p) => String(typeof p === 'object' ? p.key : p)).join('.') ?? '',
  }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new HeraldError('INVALID_DATA', `invalid data for "${type}": ${summary}`, {
    details: { type, issues },
  });
}

/** Collects the final outcome of each subscription for a `wait: 'handled'` publish. */
class HandledTracker implements Tracker {
  readonly promise: Promise<HeraldEvent>;
  private resolve!: (event: HeraldEvent) => void;
  private reject!: (error: unknown) => void;
  private readonly failures: HandlerFailure[] = [];

  constructor(
    private readonly event: HeraldEvent,
    private remaining: number,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  settle(subscription: string, error: unknown, attempts: number, failed: boolean): void {
    if (failed) this.failures.push({ subscription, error, attempts });
    if (--this.remaining > 0) return;
    if (this.failures.length > 0) this.reject(new HandlerFailedError(this.event.type, this.failures));
    else this.resolve(this.event);
  }
}
