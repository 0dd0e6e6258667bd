import type { AsyncLocalStorage } from 'node:async_hooks';
import { isThenable } from '../delivery/compose.js';
import type { DeliveryContext } from '../delivery/context.js';
import type { DeadLetterInput } from '../delivery/dead-letter.js';
import { isExpired } from '../delivery/expiry.js';
import { RedeliverSignal } from '../delivery/redeliver.js';
import { HeraldError } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import { Delivery, type Tracker } from './delivery.js';
import { LatencyHistogram } from './latency.js';
import { NORMAL, PriorityQueue, priorityLevel } from './priority-queue.js';
import type { Pump, PumpTarget } from './pump.js';
import { Ring } from './ring.js';
import type { SubscriptionStats } from './subscription-stats.js';

/** What happens when an event arrives at a full queue. */
export type OverflowPolicy = 'block' | 'reject' | 'drop-oldest';

export interface RuntimeConfig {
  name: string;
  pattern: string;
  group: string | undefined;
  concurrency: number;
  maxQueue: number;
  overflow: OverflowPolicy;
  /** The middleware and the handler; expiry and (usually) dead letter are made here, before it. */
  chain: (ctx: DeliveryContext) => unknown;
  /** Where a final failure goes, when the runtime dead-letters itself (see `policyChain`). */
  deadLetter: ((input: DeadLetterInput) => void) | undefined;
  /** The broker's one microtask pump. */
  pump: Pump;
  /** Runs handlers with the event as context (correlation), when set. */
  context: AsyncLocalStorage<HeraldEvent> | undefined;
  /** A delivery failed for good without a dead-letter policy, or was dropped on overflow. */
  report: (
    kind: 'handler-failed' | 'dropped',
    error: unknown,
    event: HeraldEvent,
    subscription: string,
  ) => void;
}

/**
 * The engine of one subscription: a bounded priority queue, a pool of `concurrency` workers, retry
 * timers, and the counters. Events are handed over in a microtask after publish, never inside the
 * publisher's call.
 *
 * The hot path: a normal-priority event for a subscription with nothing queued goes to the
 * broker's shared FIFO (see `Pump`), and the pump starts it at the next microtask, calling the
 * handler directly when the subscription has no middleware. Everything else (other priorities, a
 * backlog, `drop-oldest`, retries) goes through the subscription's own priority queue. Order holds
 * because a normal event goes to the shared FIFO only while the own queue is empty or the
 * subscription already has entries there: every normal event in the own queue is older than every
 * one in the shared FIFO, an entry taken from the FIFO behind a backlog joins the back of it, and
 * a `low` event waits while the subscription has normal ones in the FIFO.
 */
export class SubscriptionRuntime implements PumpTarget {
  readonly name: string;
  readonly pattern: string;
  readonly group: string | undefined;
  /** False once unsubscribed: routing skips it, queued work still drains. */
  active = true;

  readonly #config: RuntimeConfig;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #useShared: boolean;
  readonly #chain: (ctx: DeliveryContext) => unknown;
  readonly #queue = new PriorityQueue<Delivery>();
  readonly #blocked = new Ring<{ admit: () => void; refuse: (error: HeraldError) => void }>();
  readonly #timers = new Map<NodeJS.Timeout, Delivery>();
  readonly #running = new Set<Delivery>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #latency = new LatencyHistogram();
  /** Entries of this subscription waiting in the pump's shared FIFO. */
  #shared = 0;
  #inFlight = 0;
  #scheduled = false;
  #pumping = false;
  #sample = 0;
  // The counters of `stats()`, as fields: one object fewer to reach on every delivery.
  #published = 0;
  #delivered = 0;
  #succeeded = 0;
  #failed = 0;
  #retried = 0;
  #deadLettered = 0;
  #expired = 0;
  #duplicates = 0;
  #dropped = 0;
  #rejected = 0;

  constructor(config: RuntimeConfig) {
    this.#config = config;
    this.name = config.name;
    this.pattern = config.pattern;
    this.group = config.group;
    this.#concurrency = config.concurrency;
    this.#maxQueue = config.maxQueue;
    this.#chain = config.chain;
    // drop-oldest picks its victim in the own queue, so everything waits there.
    this.#useShared = config.overflow !== 'drop-oldest';
  }

  /** Queued (here or in the shared FIFO) plus waiting to retry: what counts against `maxQueue`. */
  get depth(): number {
    return this.#queue.size + this.#shared + this.#timers.size;
  }

  get hasSpace(): boolean {
    return this.depth < this.#maxQueue;
  }

  get idle(): boolean {
    return this.#inFlight === 0 && this.depth === 0;
  }

  /**
   * Offers an event: `true` when queued, a promise when the publisher must wait for space
   * (`block`), or the error to report (`reject`, or too many blocked publishers).
   */
  offer(
    event: HeraldEvent,
    tracker: Tracker | undefined,
    redelivered = false,
  ): true | Promise<void> | HeraldError {
    const d = new Delivery(event, 1, redelivered, this.name, priorityLevel(event.priority), tracker);
    if (this.depth < this.#maxQueue) {
      this.#enqueue(d);
      return true;
    }
    const { overflow } = this.#config;
    const maxQueue = this.#maxQueue;
    if (overflow === 'drop-oldest') {
      const victim = this.#queue.dropOldest();
      if (victim) {
        this.#dropped++;
        const err = new HeraldError(
          'QUEUE_FULL',
          `subscription "${this.name}" dropped its oldest event: queue full (${maxQueue})`,
          { details: { subscription: this.name, maxQueue, policy: overflow } },
        );
        victim.tracker?.settle(this.name, err, 0, true);
        this.#config.report('dropped', err, victim.event, this.name);
        this.#enqueue(d);
        return true;
      }
      // Everything counted is waiting to retry; nothing can be dropped, so refuse.
    }
    if (overflow === 'block' && this.#blocked.size < maxQueue) {
      return new Promise<void>((resolve, reject) => {
        this.#blocked.push({
          admit: () => {
            this.#enqueue(d);
            resolve();
          },
          refuse: reject,
        });
      });
    }
    this.#rejected++;
    return new HeraldError(
      'QUEUE_FULL',
      `subscription "${this.name}" is full (${maxQueue} queued, policy ${overflow})`,
      { details: { subscription: this.name, maxQueue, policy: overflow } },
    );
  }

  /** Resolves once nothing is queued, waiting to retry or running. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses publishers still waiting for space (at close); returns how many there were. */
  refuseBlocked(error: HeraldError): number {
    const waiting = this.#blocked.drain();
    for (const w of waiting) w.refuse(error);
    return waiting.length;
  }

  /**
   * Gives up at a close deadline: clears queued and retry-waiting events and aborts running
   * handlers. Returns both, so the caller can report them.
   */
  abandon(reason: HeraldError): { undelivered: HeraldEvent[]; inFlight: HeraldEvent[] } {
    const left = this.#config.pump.withdraw(this);
    this.#shared = 0;
    left.push(...this.#queue.drain());
    for (const [timer, d] of this.#timers) {
      clearTimeout(timer);
      left.push(d);
    }
    this.#timers.clear();
    const running = [...this.#running];
    this.#running.clear();
    for (const d of [...left, ...running]) {
      d.abandoned = true;
      d.abort(reason);
      d.tracker?.settle(this.name, reason, d.attempt, true);
    }
    return { undelivered: left.map((d) => d.event), inFlight: running.map((d) => d.event) };
  }

  stats(): SubscriptionStats {
    return {
      name: this.name,
      pattern: this.pattern,
      group: this.group,
      published: this.#published,
      delivered: this.#delivered,
      succeeded: this.#succeeded,
      failed: this.#failed,
      retried: this.#retried,
      deadLettered: this.#deadLettered,
      expired: this.#expired,
      duplicates: this.#duplicates,
      dropped: this.#dropped,
      rejected: this.#rejected,
      queueDepth: this.depth,
      inFlight: this.#inFlight,
      latencyP50Ms: this.#latency.percentile(50),
      latencyP99Ms: this.#latency.percentile(99),
    };
  }

  #enqueue(d: Delivery): void {
    this.#published++;
    if (d.level === NORMAL && this.#useShared && (this.#shared > 0 || this.#queue.size === 0)) {
      this.#shared++;
      this.#config.pump.deliver(this, d);
      return;
    }
    this.#queue.push(d, d.level);
    if (!this.#scheduled && !this.#pumping) {
      this.#scheduled = true;
      this.#config.pump.schedule(this);
    }
  }

  /** A delivery from the shared FIFO: started when a worker is free and nothing waits before it. */
  take(d: Delivery): void {
    this.#shared--;
    if (this.#queue.size === 0 && this.#inFlight < this.#concurrency) {
      // It left the queue: a blocked publisher may take its place.
      if (this.#blocked.size > 0) this.#blocked.shift()!.admit();
      this.#start(d);
    } else {
      this.#queue.push(d, d.level);
      this.#kick();
    }
  }

  /** Starts queued deliveries while workers are free (called by the pump and on completions). */
  pump(): void {
    this.#scheduled = false;
    if (this.#pumping) return;
    this.#pumping = true;
    while (this.#inFlight < this.#concurrency) {
      // A low event waits while normal ones of this subscription are still in the shared FIFO.
      if (this.#shared > 0 && this.#queue.nextLevel() > NORMAL) break;
      const d = this.#queue.shift();
      if (d === undefined) break;
      // A slot in the queue freed: admit one blocked publisher.
      if (this.#blocked.size > 0) this.#blocked.shift()!.admit();
      this.#start(d);
    }
    this.#pumping = false;
    if (this.#inFlight === 0 && this.depth === 0) this.#notifyIdle();
  }

  #start(d: Delivery): void {
    this.#inFlight++;
    this.#delivered++;
    // Latency is sampled: the first 64 deliveries, then 1 in 64. Each sample reads the clock twice
    // and touches this subscription's histogram, which with many subscriptions is a cache miss.
    const sample = ++this.#sample;
    if (sample <= 64 || (sample & 63) === 0) d.startedAt = performance.now();
    const event = d.event;
    if (event.expiresat !== undefined && isExpired(event, Date.now())) {
      d.outcome = 'expired';
      this.#finish(d, undefined, false);
      return;
    }
    let result: unknown;
    try {
      const context = this.#config.context;
      result = context ? context.run(event, this.#chain, d) : this.#chain(d);
    } catch (error) {
      this.#threw(d, error);
      return;
    }
    if (isThenable(result)) {
      this.#running.add(d);
      result.then(
        () => {
          this.#running.delete(d);
          this.#finish(d, undefined, false);
        },
        (error: unknown) => {
          this.#running.delete(d);
          this.#threw(d, error);
        },
      );
    } else {
      this.#finish(d, undefined, false);
    }
  }

  /** An attempt threw: the dead-letter step (when made here), then the accounting. */
  #threw(d: Delivery, error: unknown): void {
    const deadLetter = this.#config.deadLetter;
    if (deadLetter === undefined || error instanceof RedeliverSignal) {
      this.#finish(d, error, true);
      return;
    }
    deadLetter({ event: d.event, error, attempts: d.attempt, subscription: this.name });
    d.outcome = 'dead-lettered';
    d.error = error;
    this.#finish(d, undefined, false);
  }

  #finish(d: Delivery, error: unknown, threw: boolean): void {
    this.#inFlight--;
    if (d.abandoned) return;
    if (d.startedAt !== 0) this.#latency.record(performance.now() - d.startedAt);
    if (!threw) {
      switch (d.outcome) {
        case 'expired':
          this.#expired++;
          d.tracker?.settle(this.name, undefined, d.attempt, false);
          break;
        case 'duplicate':
          this.#duplicates++;
          d.tracker?.settle(this.name, undefined, d.attempt, false);
          break;
        case 'dead-lettered':
          this.#failed++;
          this.#deadLettered++;
          d.tracker?.settle(this.name, d.error, d.attempt, true);
          break;
        default:
          this.#succeeded++;
          d.tracker?.settle(this.name, undefined, d.attempt, false);
      }
    } else if (error instanceof RedeliverSignal) {
      this.#failed++;
      this.#retried++;
      const next = d.retry();
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#queue.push(next, next.level);
        this.#kick();
      }, error.delayMs);
      this.#timers.set(timer, next);
    } else {
      this.#failed++;
      // The publisher waiting on it is told; otherwise nobody is, so report it.
      if (d.tracker) d.tracker.settle(this.name, error, d.attempt, true);
      else this.#config.report('handler-failed', error, d.event, this.name);
    }
    this.#kick();
  }

  /** Continues the pump after an asynchronous completion (the pump loop handles synchronous ones). */
  #kick(): void {
    if (this.#pumping) return;
    if (this.#queue.size > 0 && this.#inFlight < this.#concurrency) this.pump();
    else if (this.#inFlight === 0 && this.depth === 0) this.#notifyIdle();
  }

  #notifyIdle(): void {
    if (this.#idleWaiters.length === 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
