import type { AsyncLocalStorage } from 'node:async_hooks';
import { backoffDelay } from '../delivery/backoff.js';
import { isThenable } from '../delivery/compose.js';
import type { DeliveryContext } from '../delivery/context.js';
import { isExpired } from '../delivery/expiry.js';
import type { HeraldError } from '../errors/herald-error.js';
import { RetryLaterError, UnrecoverableError } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import type { ConsumerGroup, GroupDelivery } from '../log/types.js';
import type { RetryOptions } from '../delivery/retry.js';
import { Delivery } from './delivery.js';
import type { DurableMarks } from './durable-marks.js';
import { assertGroupPattern } from './join-group.js';
import { LatencyHistogram } from './latency.js';
import { formatStoredError } from './stored-error.js';
import type { SubscriptionStats } from './subscription-stats.js';

export interface DurableConfig {
  name: string;
  pattern: string;
  group: string;
  concurrency: number;
  chain: (ctx: DeliveryContext) => unknown;
  context: AsyncLocalStorage<HeraldEvent> | undefined;
  retry: RetryOptions | undefined;
  /** How long one pull waits for work before looking again (bounds how late close is noticed). */
  pullWaitMs: number;
  /** The broker's knowledge of its groups' dead letters: causes, redrives, counts. */
  marks: DurableMarks;
}

/**
 * A member of a durable consumer group: `concurrency` workers pull deliveries from the log's
 * group, run the subscription's chain, and ack (the chain resolved) or nack (it threw). Retries
 * are the log's redeliveries, delayed by the retry policy's backoff; `UnrecoverableError` and the
 * last attempt dead-letter in the log, where the dead letters outlive the process.
 */
export class DurableSubscription {
  readonly name: string;
  readonly pattern: string;
  readonly group: string;
  active = true;

  private readonly stop = new AbortController();
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
  };
  private inFlight = 0;
  /** The deliveries whose handlers run now, for a close deadline to list and abort. */
  private readonly running = new Set<Delivery>();
  private sample = 0;
  private readonly workers: Promise<void>[] = [];

  constructor(
    /** The log's group; opening it may still be under way. */
    readonly consumer: Promise<ConsumerGroup>,
    private readonly config: DurableConfig,
    private readonly onError: (error: unknown) => void,
    /** Called once the member stopped because its group is no longer on its pattern. */
    private readonly onRetargeted: () => void = () => undefined,
  ) {
    this.name = config.name;
    this.pattern = config.pattern;
    this.group = config.group;
    for (let i = 0; i < config.concurrency; i++) this.workers.push(this.work());
  }

  /** Stops pulling and waits for the handlers in flight; what is left stays in the log's group. */
  async close(): Promise<void> {
    this.active = false;
    this.stop.abort();
    await Promise.all(this.workers);
  }

  /**
   * At a close deadline: aborts the handlers still running and returns their events. Their
   * deliveries are neither acked nor nacked (a late completion changes nothing), so they stay in
   * the log's group and are delivered again after the ack wait.
   */
  abandon(reason: HeraldError): HeraldEvent[] {
    const running = [...this.running];
    this.running.clear();
    for (const d of running) {
      d.abandoned = true;
      d.abort(reason);
    }
    return running.map((d) => d.event);
  }

  stats(): SubscriptionStats {
    return {
      name: this.name,
      pattern: this.pattern,
      group: this.group,
      ...this.counts,
      dropped: 0,
      rejected: 0,
      queueDepth: 0,
      inFlight: this.inFlight,
      latencyP50Ms: this.latency.percentile(50),
      latencyP99Ms: this.latency.percentile(99),
    };
  }

  private async work(): Promise<void> {
    const signal = this.stop.signal;
    let consumer: ConsumerGroup;
    try {
      consumer = await this.consumer;
    } catch (error) {
      this.onError(error);
      return;
    }
    await this.recount(consumer);
    while (!signal.aborted) {
      let batch: GroupDelivery[];
      try {
        batch = await consumer.pull({ max: 1, waitMs: this.config.pullWaitMs, signal });
      } catch (error) {
        if (!this.active) return;
        this.onError(error);
        // The log failed (restarting server, closed file): back off before asking again.
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      // The group was retargeted under this member (two creators racing, or a change made in the
      // log): it stops before handling an event of another pattern; the deliveries stay
      // unsettled and go to a member of the group's pattern after the ack wait.
      if (!this.ownsGroup(consumer)) return;
      for (const delivery of batch) await this.handle(delivery, consumer);
    }
  }

  private ownsGroup(consumer: ConsumerGroup): boolean {
    try {
      assertGroupPattern(this.group, consumer.options.types, this.pattern);
      return true;
    } catch (error) {
      this.onError(error);
      this.onRetargeted();
      return false;
    }
  }

  /** Reads the group's dead-letter count for `stats()` (a failed read keeps the last one). */
  private async recount(consumer: ConsumerGroup): Promise<void> {
    try {
      this.config.marks.setCount(this.group, (await consumer.info()).deadLetters);
    } catch (error) {
      if (this.active) this.onError(error);
    }
  }

  private async handle(delivery: GroupDelivery, consumer: ConsumerGroup): Promise<void> {
    const { event, deliveryCount } = delivery;
    const { marks } = this.config;
    // The log resets a redriven dead letter's count: only this broker's mark tells it apart.
    const redelivered = marks.takeRedriven(this.group, event.position) || deliveryCount > 1;
    const d = new Delivery(event, deliveryCount, redelivered, this.name, 2, undefined);
    this.inFlight++;
    this.running.add(d);
    this.counts.delivered++;
    if (deliveryCount === 1) this.counts.published++;
    const sampled = (++this.sample & 7) === 0;
    const t0 = sampled ? performance.now() : 0;
    let error: unknown;
    let failed = false;
    try {
      // The expiry step, made here like in-process subscriptions make it (see `policyChain`).
      if (event.expiresat !== undefined && isExpired(event, Date.now())) d.skip('expired');
      else {
        const { context, chain } = this.config;
        const result = context ? context.run(event, chain, d) : chain(d);
        if (isThenable(result)) await result;
      }
    } catch (e) {
      error = e;
      failed = true;
    }
    if (sampled) this.latency.record(performance.now() - t0);
    this.inFlight--;
    this.running.delete(d);
    if (d.abandoned) return;
    try {
      if (!failed) {
        if (d.outcome === 'expired') this.counts.expired++;
        else if (d.outcome === 'duplicate') this.counts.duplicates++;
        else this.counts.succeeded++;
        await delivery.ack();
        return;
      }
      this.counts.failed++;
      const retry = this.config.retry;
      const last = error instanceof UnrecoverableError || deliveryCount >= (retry?.maxAttempts ?? 1);
      if (last) {
        this.counts.deadLettered++;
        marks.rememberCause(this.group, event.position, error);
        await delivery.nack({ error: formatStoredError(error), deadLetter: true });
        await this.recount(consumer);
        return;
      }
      this.counts.retried++;
      const delayMs = error instanceof RetryLaterError ? error.delayMs : backoffDelay(deliveryCount, retry);
      await delivery.nack({ delayMs, error: formatStoredError(error) });
    } catch (ackError) {
      // The ack or nack did not reach the log: the delivery comes back after ackWait.
      this.onError(ackError);
    }
  }
}
