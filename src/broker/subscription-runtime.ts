import type { AsyncLocalStorage } from 'node:async_hooks';
import { HeraldError } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import { RedeliverSignal } from '../delivery/redeliver.js';
import type { DeliveryContext } from '../delivery/context.js';
import { isThenable } from '../delivery/compose.js';
import { Delivery, type Tracker } from './delivery.js';
import { LatencyHistogram } from './latency.js';
import { PriorityQueue, priorityLevel } from './priority-queue.js';
import { Ring } from './ring.js';
import type { Scheduler } from './scheduler.js';
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
  chain: (ctx: DeliveryContext) => unknown;
  /** Runs `pump` at the next microtask, batched with the other subscriptions. */
  scheduler: Scheduler;
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
 * publisher's call, and a worker keeps pulling while the queue has work.
 */
export class SubscriptionRuntime {
  readonly name: string;
  readonly pattern: string;
  readonly group: string | undefined;
  /** False once unsubscribed: routing skips it, queued work still drains. */
  active = true;

  private readonly queue = new PriorityQueue<Delivery>();
  private readonly blocked = new Ring<{ admit: () => void; refuse: (error: HeraldError) => void }>();
  private readonly timers = new Map<NodeJS.Timeout, Delivery>();
  private readonly running = new Set<Delivery>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly latency = new LatencyHistogram();
  private readonly counts = {
    published: 0,
    delivered: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    expired: 0,
    duplicates: 0,
    dropped: 0,
    rejected: 0,
  };
  private inFlight = 0;
  private scheduled = false;
  private pumping = false;
  private sample = 0;

  constructor(private readonly config: RuntimeConfig) {
    this.name = config.name;
    this.pattern = config.pattern;
    this.group = config.group;
  }

  /** Queued plus waiting to retry: what counts against `maxQueue`. */
  get depth(): number {
    return this.queue.size + this.timers.size;
  }

  get hasSpace(): boolean {
    return this.depth < this.config.maxQueue;
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.depth === 0;
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
    if (this.depth < this.config.maxQueue) {
      this.enqueue(d);
      return true;
    }
    const { overflow, maxQueue } = this.config;
    if (overflow === 'drop-oldest') {
      const victim = this.queue.dropOldest();
      if (victim) {
        this.counts.dropped++;
        const err = new HeraldError(
          'QUEUE_FULL',
          `subscription "${this.name}" dropped its oldest event: queue full (${maxQueue})`,
          {
            details: { subscription: this.name, maxQueue, policy: overflow },
          },
        );
        victim.tracker?.settle(this.name, err, 0, true);
        this.config.report('dropped', err, victim.event, this.name);
        this.enqueue(d);
        return true;
      }
      // Everything counted is waiting to retry; nothing can be dropped, so refuse.
    }
    if (overflow === 'block' && this.blocked.size < maxQueue) {
      return new Promise<void>((resolve, reject) => {
        this.blocked.push({
          admit: () => {
            this.enqueue(d);
            resolve();
          },
          refuse: reject,
        });
      });
    }
    this.counts.rejected++;
    return new HeraldError(
      'QUEUE_FULL',
      `subscription "${this.name}" is full (${maxQueue} queued, policy ${overflow})`,
      {
        details: { subscription: this.name, maxQueue, policy: overflow },
      },
    );
  }

  /** Resolves once nothing is queued, waiting to retry or running. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses publishers still waiting for space (at close); returns how many there were. */
  refuseBlocked(error: HeraldError): number {
    const waiting = this.blocked.drain();
    for (const w of waiting) w.refuse(error);
    return waiting.length;
  }

  /**
   * Gives up at a close deadline: clears queued and retry-waiting events and aborts running
   * handlers. Returns both, so the caller can report them.
   */
  abandon(reason: HeraldError): { undelivered: HeraldEvent[]; inFlight: HeraldEvent[] } {
    const left = this.queue.drain();
    for (const [timer, d] of this.timers) {
      clearTimeout(timer);
      left.push(d);
    }
    this.timers.clear();
    const running = [...this.running];
    this.running.clear();
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
      ...this.counts,
      queueDepth: this.depth,
      inFlight: this.inFlight,
      latencyP50Ms: this.latency.percentile(50),
      latencyP99Ms: this.latency.percentile(99),
    };
  }

  private enqueue(d: Delivery): void {
    this.counts.published++;
    this.queue.push(d, d.level);
    if (!this.scheduled && !this.pumping) {
      this.scheduled = true;
      this.config.scheduler.schedule(this);
    }
  }

  /** Starts queued deliveries while workers are free (called by the scheduler and on completions). */
  pump(): void {
    this.scheduled = false;
    if (this.pumping) return;
    this.pumping = true;
    const { concurrency } = this.config;
    while (this.inFlight < concurrency) {
      const d = this.queue.shift();
      if (d === undefined) break;
      // A slot in the queue freed: admit one blocked publisher.
      if (this.blocked.size > 0) this.blocked.shift()!.admit();
      this.start(d);
    }
    this.pumping = false;
    if (this.inFlight === 0 && this.depth === 0) this.notifyIdle();
  }

  private start(d: Delivery): void {
    this.inFlight++;
    this.counts.delivered++;
    if ((++this.sample & 7) === 0) d.startedAt = performance.now();
    let result: unknown;
    try {
      const { context, chain } = this.config;
      result = context ? context.run(d.event, chain, d) : chain(d);
    } catch (error) {
      this.finish(d, error, true);
      return;
    }
    if (isThenable(result)) {
      this.running.add(d);
      result.then(
        () => {
          this.running.delete(d);
          this.finish(d, undefined, false);
        },
        (error: unknown) => {
          this.running.delete(d);
          this.finish(d, error, true);
        },
      );
    } else {
      this.finish(d, undefined, false);
    }
  }

  private finish(d: Delivery, error: unknown, threw: boolean): void {
    this.inFlight--;
    if (d.abandoned) return;
    if (d.startedAt !== 0) this.latency.record(performance.now() - d.startedAt);
    const c = this.counts;
    if (!threw) {
      switch (d.outcome) {
        case 'expired':
          c.expired++;
          d.tracker?.settle(this.name, undefined, d.attempt, false);
          break;
        case 'duplicate':
          c.duplicates++;
          d.tracker?.settle(this.name, undefined, d.attempt, false);
          break;
        case 'dead-lettered':
          c.failed++;
          c.deadLettered++;
          d.tracker?.settle(this.name, d.error, d.attempt, true);
          break;
        default:
          c.succeeded++;
          d.tracker?.settle(this.name, undefined, d.attempt, false);
      }
    } else if (error instanceof RedeliverSignal) {
      c.failed++;
      c.retried++;
      const next = d.retry();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.queue.push(next, next.level);
        this.kick();
      }, error.delayMs);
      this.timers.set(timer, next);
    } else {
      c.failed++;
      // The publisher waiting on it is told; otherwise nobody is, so report it.
      if (d.tracker) d.tracker.settle(this.name, error, d.attempt, true);
      else this.config.report('handler-failed', error, d.event, this.name);
    }
    this.kick();
  }

  /** Continues the pump after an asynchronous completion (the pump loop handles synchronous ones). */
  private kick(): void {
    if (this.pumping) return;
    if (this.queue.size > 0 && this.inFlight < this.config.concurrency) this.pump();
    else if (this.inFlight === 0 && this.depth === 0) this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
