import type { AsyncLocalStorage } from 'node:async_hooks';
import { compose } from '../delivery/compose.js';
import { CapabilityNotSupportedError, HeraldError } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import type { EventLog } from '../log/types.js';
import { SubjectIndex } from '../subject/subject-index.js';
import { validatePattern } from '../subject/subject.js';
import { checkCount, closedError, requireLog } from './broker-errors.js';
import type { DeadLetter, DeadLetterStore } from './dead-letters.js';
import type { DurableMarks } from './durable-marks.js';
import { DurableSubscription } from './durable-subscription.js';
import { routeGroups, type GroupRouter } from './groups.js';
import { assertGroupPattern, joinGroup } from './join-group.js';
import { policyChain } from './policies.js';
import { Pump } from './pump.js';
import { SubscriptionRuntime } from './subscription-runtime.js';
import type { SubscriptionStats } from './subscription-stats.js';
import type { BrokerOptions, Handler, SubscribeOptions, Subscription } from './types.js';

/** What the registry needs from its broker. */
export interface RegistryConfig {
  log: EventLog | undefined;
  matchCacheSize: number;
  /** Entered around each handler, when correlation is on. */
  context: AsyncLocalStorage<HeraldEvent> | undefined;
  deadLetters: DeadLetterStore;
  marks: DurableMarks;
  onError: NonNullable<BrokerOptions<never>['onError']>;
  closed: () => boolean;
}

/**
 * Every subscription of a broker behind one interface: in-process subscriptions and responders
 * (a queue per subscription, found through the subject index), and members of durable consumer
 * groups in the log (pulled, acked and nacked). Names are unique across both kinds.
 */
export class SubscriptionRegistry {
  readonly #config: RegistryConfig;
  readonly #index: SubjectIndex<SubscriptionRuntime>;
  readonly #responders: SubjectIndex<SubscriptionRuntime>;
  readonly #local = new Map<string, SubscriptionRuntime>();
  readonly #durables = new Map<string, DurableSubscription>();
  readonly #groups: GroupRouter = { counters: new Map(), grouped: 0, plans: new WeakMap() };
  readonly #pump = new Pump();
  #nameCounter = 0;

  constructor(config: RegistryConfig) {
    this.#config = config;
    this.#index = new SubjectIndex({ cacheSize: config.matchCacheSize });
    this.#responders = new SubjectIndex({ cacheSize: Math.min(config.matchCacheSize, 256) });
  }

  /** The subscriptions an event of `type` goes to (one member per queue group); validates the type. */
  route(type: string): readonly SubscriptionRuntime[] {
    return routeGroups(this.#groups, this.#index, type);
  }

  /** The responders a request of `type` goes to. */
  routeRequest(type: string): readonly SubscriptionRuntime[] {
    return routeGroups(this.#groups, this.#responders, type);
  }

  /** Checks the type grammar (throws `INVALID_SUBJECT`), before anything is sent or stored. */
  checkType(type: string): void {
    this.#index.match(type);
  }

  /** An in-process subscription or responder by name. */
  runtime(name: string): SubscriptionRuntime | undefined {
    return this.#local.get(name);
  }

  /** The in-process subscriptions and responders. */
  runtimes(): SubscriptionRuntime[] {
    return [...this.#local.values()];
  }

  /** The members of durable groups. */
  durables(): IterableIterator<DurableSubscription> {
    return this.#durables.values();
  }

  stats(): SubscriptionStats[] {
    return [...this.#local.values(), ...this.#durables.values()].map((s) => s.stats());
  }

  /** Each durable group of this broker once, with its count as last read from the log. */
  durableDeadLetters(): number {
    let n = 0;
    const seen = new Set<string>();
    for (const d of this.#durables.values()) {
      if (seen.has(d.group)) continue;
      seen.add(d.group);
      n += this.#config.marks.count(d.group);
    }
    return n;
  }

  /** A subscription (`responder`: one answering requests, never durable) of either kind. */
  add(pattern: string, handler: Handler, options: SubscribeOptions, responder: boolean): Subscription {
    if (this.#config.closed()) throw closedError();
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
    if (this.#isDurable(options, responder)) {
      return this.#addDurable(pattern, handler, options, group!, concurrency);
    }
    const index = responder ? this.#responders : this.#index;
    const name = this.#name(options.name ?? `${group ?? pattern}#${++this.#nameCounter}`);
    const { context, deadLetters, onError } = this.#config;
    const policies = policyChain(options, {
      durable: false,
      deadLetters: (input) => deadLetters.add(input, group),
    });
    const runtime = new SubscriptionRuntime({
      name,
      pattern,
      group,
      concurrency,
      maxQueue,
      overflow,
      chain: compose(policies.middleware, (ctx) => handler(ctx.event, ctx)),
      deadLetter: policies.deadLetter,
      context,
      pump: this.#pump,
      report: (kind, error, event, subscription) => onError(error, { kind, subscription, event }),
    });
    index.add(pattern, runtime); // validates the pattern before anything is registered
    this.#local.set(name, runtime);
    if (group !== undefined) this.#groups.grouped++;
    let removed: Promise<void> | undefined;
    const unsubscribe = (): Promise<void> =>
      (removed ??= (async () => {
        index.remove(pattern, runtime);
        runtime.active = false;
        if (group !== undefined) this.#groups.grouped--;
        await runtime.whenIdle();
        this.#local.delete(name);
      })());
    onAbort(options.signal, unsubscribe);
    return { name, pattern, ready: Promise.resolve(), unsubscribe };
  }

  /** Offers a dead letter again to its subscription, or to another active member of its group. */
  async redrive(entry: DeadLetter): Promise<void> {
    if (this.#config.closed()) throw closedError();
    let target = this.#local.get(entry.subscription);
    if ((!target || !target.active) && entry.group !== undefined) {
      target = [...this.#local.values()].find((s) => s.active && s.group === entry.group);
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

  /** `name`, unless a subscription of either kind has it (`INVALID_OPTION`). */
  #name(name: string): string {
    if (this.#local.has(name) || this.#durables.has(name)) {
      throw new HeraldError('INVALID_OPTION', `a subscription named "${name}" already exists`, {
        details: { option: 'name', name },
      });
    }
    return name;
  }

  /**
   * Which kind of group a subscription joins: `durable` says; left out, a group is durable when
   * there is a log (the deprecated implicit kind, kept for existing code). Responders are never
   * durable.
   */
  #isDurable(options: SubscribeOptions, responder: boolean): boolean {
    const { group, durable } = options;
    if (durable === true) {
      const invalid = (why: string): HeraldError =>
        new HeraldError('INVALID_OPTION', `durable: true ${why}`, {
          details: { option: 'durable', value: true },
        });
      if (responder) throw invalid('is not for reply: a responder answers in process');
      if (group === undefined) throw invalid("needs a group: { group: 'name', durable: true }");
      requireLog(this.#config.log, 'durable: true');
      return true;
    }
    return durable === undefined && group !== undefined && this.#config.log !== undefined && !responder;
  }

  /**
   * A member of a durable consumer group in the log: pulls, runs the chain, acks or nacks. The
   * group has one pattern: a member with another pattern is refused.
   */
  #addDurable(
    pattern: string,
    handler: Handler,
    options: SubscribeOptions,
    group: string,
    concurrency: number,
  ): Subscription {
    const { log: maybeLog, context, marks, onError } = this.#config;
    const log = maybeLog!;
    if (!log.capabilities.consumerGroups)
      throw new CapabilityNotSupportedError('consumerGroups', log.capabilities.name);
    validatePattern(pattern);
    for (const other of this.#durables.values()) {
      if (other.group === group) assertGroupPattern(group, [other.pattern], pattern);
    }
    const name = this.#name(options.name ?? `${group}#${++this.#nameCounter}`);
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
        chain: compose(policyChain(options, { durable: true }).middleware, (ctx) => handler(ctx.event, ctx)),
        context,
        retry: options.retry,
        pullWaitMs: 1_000,
        marks,
      },
      (error) =>
        onError(error, {
          kind: 'handler-failed',
          subscription: name,
          event: { specversion: '1.0', id: '-', source: 'herald', type: 'herald.log.error' },
        }),
      () => void unsubscribe(),
    );
    this.#durables.set(name, durable);
    let removed: Promise<void> | undefined;
    const unsubscribe = (): Promise<void> =>
      (removed ??= durable.close().then(() => void this.#durables.delete(name)));
    const ready = consumer.then(() => undefined);
    // Refused (another pattern) or the log failed: the member is gone; `ready` and onError say why.
    ready.catch(() => void unsubscribe());
    onAbort(options.signal, unsubscribe);
    return { name, pattern, ready, unsubscribe };
  }
}

function onAbort(signal: AbortSignal | undefined, unsubscribe: () => Promise<void>): void {
  if (!signal) return;
  if (signal.aborted) void unsubscribe();
  else signal.addEventListener('abort', () => void unsubscribe(), { once: true });
}
