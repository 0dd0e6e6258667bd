import { HeraldError } from '../../errors/herald-error.js';
import type { EventLog, LogSubscription } from '../../log/types.js';
import type { HubMetrics, Transport } from '../metrics.js';
import { countDeliveries, reportDeliveries } from './delivery-report.js';
import { FilterCache } from './event-filter.js';
import { EventRing } from './event-ring.js';
import type { FeedEntry } from './feed-entry.js';
import { replayPage } from './replay-page.js';
import { Subscriber, type FeedSubscribeOptions, type FeedSubscription } from './feed-subscriber.js';

/** Events fanned out per flush, and pulled from the tail before the pump lets I/O run. */
const MAX_BATCH = 512;
const REPORT_MS = 1_000;

/** Options of `LiveFeed`. */
export interface LiveFeedOptions {
  ringSize: number;
  ringBytes: number;
  maxBacklog: number;
}

/**
 * The hub's one tail of the log, shared by every SSE and WebSocket client. It pulls the log at
 * full speed into a ring of recent events (each serialized once), and after each batch writes
 * the batch to every client that is keeping up, one write per client. A client whose buffer is
 * full keeps a cursor into the ring; once the head is more than `maxBacklog` events past it (or
 * its cursor leaves the ring), it is ended as slow, to resume later from its last id. A client
 * that starts before the ring pages through the log until it reaches the ring, then follows it:
 * positions decide every switch, so nothing is missed or sent twice.
 *
 * @example
 * ```ts
 * const feed = new LiveFeed(ctx.log, ctx.metrics, { ringSize: 10_000, ringBytes: 64 << 20, maxBacklog: 10_000 });
 * const subscription = feed.subscribe({ after: lastEventId, patterns: ['orders.>'], principal, sink });
 * // ... on the client's drain: subscription.resume(); on its close: subscription.close()
 * await feed.close();
 * ```
 */
export class LiveFeed {
  readonly #log: EventLog;
  readonly #metrics: HubMetrics;
  readonly #options: LiveFeedOptions;
  readonly #maxBatch: number;
  readonly #filters = new FilterCache();
  /** Every open subscriber; those following the ring are also in `#following`. */
  readonly #all = new Set<Subscriber>();
  readonly #following = new Set<Subscriber>();
  /** Reused for every fan-out write (sinks copy what they keep). */
  readonly #batch: FeedEntry[] = [];
  #ring: EventRing | undefined;
  #tail: LogSubscription | undefined;
  #starting: Promise<EventRing> | undefined;
  /** The ring seq up to which every following client has been written to. */
  #flushed = 0;
  #flushScheduled = false;
  #reportTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(log: EventLog, metrics: HubMetrics, options: LiveFeedOptions) {
    this.#log = log;
    this.#metrics = metrics;
    this.#options = options;
    this.#maxBatch = Math.min(MAX_BATCH, options.ringSize);
  }

  /** The last position the tail has seen (0 before it started). */
  get head(): number {
    return this.#ring?.head ?? 0;
  }

  /** Open subscriptions (catching up, following or blocked). */
  get size(): number {
    return this.#all.size;
  }

  /**
   * The clients of a transport, and how far behind they are: ring entries not yet written for
   * those following the ring, positions still to replay for those catching up (an estimate).
   */
  backlog(transport: Transport): { total: number; max: number } {
    let total = 0;
    let max = 0;
    const ring = this.#ring;
    for (const subscriber of this.#all) {
      if (subscriber.sink.transport !== transport) continue;
      const behind =
        subscriber.state === 'catching-up' || ring === undefined
          ? Math.max(0, this.head - subscriber.position)
          : ring.nextSeq - subscriber.nextSeq;
      total += behind;
      if (behind > max) max = behind;
    }
    return { total, max };
  }

  /** Starts delivering to a client: from the ring when it holds `after`, else from the log first. */
  subscribe(options: FeedSubscribeOptions): FeedSubscription {
    if (this.#closed) throw new HeraldError('LOG_CLOSED', 'the hub is closing');
    const accepts = this.#filters.acquire(options.principal, options.patterns);
    const subscriber = new Subscriber(
      options,
      accepts,
      (s) => this.#resume(s),
      (s) => this.#drop(s),
    );
    this.#all.add(subscriber);
    void this.#catchUp(subscriber);
    return subscriber;
  }

  /** Stops the tail and forgets every client (the transports say goodbye to them first). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reportTimer);
    for (const subscriber of [...this.#all]) this.#drop(subscriber);
    const tail = this.#tail;
    this.#tail = undefined;
    await tail?.close();
    this.#reportAll();
  }

  #start(): Promise<EventRing> {
    if (this.#closed) return Promise.reject(new HeraldError('LOG_CLOSED', 'the hub is closing'));
    if (this.#starting) return this.#starting;
    const starting = (async () => {
      const { last } = await this.#log.bounds();
      if (this.#closed) throw new HeraldError('LOG_CLOSED', 'the hub is closing');
      const ring = new EventRing(this.#options.ringSize, this.#options.ringBytes, last);
      const tail = this.#log.subscribe({ from: last + 1 });
      this.#ring = ring;
      this.#tail = tail;
      this.#flushed = 0;
      void this.#pump(tail, ring);
      this.#reportTimer ??= setInterval(() => this.#reportAll(), REPORT_MS).unref();
      return ring;
    })();
    this.#starting = starting;
    // A start that failed (log unreachable) is tried again by the next client.
    starting.catch(() => {
      if (this.#starting === starting) this.#starting = undefined;
    });
    return starting;
  }

  async #pump(tail: LogSubscription, ring: EventRing): Promise<void> {
    let failure: unknown;
    try {
      let sinceYield = 0;
      for (;;) {
        const next = await tail.next();
        if (next.done) break;
        // Never evict an entry the following clients have not been given.
        if (ring.nextSeq - this.#flushed >= this.#maxBatch) this.#flush();
        const { evicted } = ring.push(next.value);
        if (evicted) reportDeliveries(this.#metrics, evicted);
        if (!this.#flushScheduled) {
          this.#flushScheduled = true;
          setImmediate(this.#flush);
        }
        // A long burst would otherwise run on microtasks alone and starve the sockets.
        if (++sinceYield >= MAX_BATCH) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } catch (err) {
      failure = err;
    }
    if (this.#tail === tail && !this.#closed) this.#fail(failure);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const ring = this.#ring;
    if (ring === undefined || this.#flushed === ring.nextSeq) return;
    this.#flushed = ring.nextSeq;
    for (const subscriber of this.#following) {
      if (subscriber.state === 'live') this.#deliver(subscriber, ring);
      else this.#checkBacklog(subscriber, ring);
    }
    ring.trim(this.#flushed, (entry) => reportDeliveries(this.#metrics, entry));
  };

  /** Writes the ring from the subscriber's cursor to the head, until its buffer is full. */
  #deliver(subscriber: Subscriber, ring: EventRing): void {
    const end = ring.nextSeq;
    if (subscriber.nextSeq < ring.firstSeq) {
      this.#kick(subscriber, end - subscriber.nextSeq);
      return;
    }
    const batch = this.#batch;
    while (subscriber.nextSeq < end) {
      const stop = Math.min(end, subscriber.nextSeq + MAX_BATCH);
      batch.length = 0;
      for (let seq = subscriber.nextSeq; seq < stop; seq++) {
        const entry = ring.at(seq);
        if (entry.position > subscriber.position && subscriber.accepts(entry.type)) batch.push(entry);
      }
      subscriber.nextSeq = stop;
      const last = ring.at(stop - 1).position;
      if (last > subscriber.position) subscriber.position = last;
      if (batch.length > 0 && !this.#write(subscriber, batch)) {
        subscriber.state = 'blocked';
        batch.length = 0;
        return;
      }
    }
    batch.length = 0;
    subscriber.state = 'live';
  }

  #checkBacklog(subscriber: Subscriber, ring: EventRing): void {
    const behind = ring.nextSeq - subscriber.nextSeq;
    if (behind > this.#options.maxBacklog || subscriber.nextSeq < ring.firstSeq) {
      this.#kick(subscriber, behind);
    }
  }

  #write(subscriber: Subscriber, entries: readonly FeedEntry[]): boolean {
    countDeliveries(subscriber.sink.transport, entries);
    return subscriber.sink.write(entries);
  }

  async #catchUp(subscriber: Subscriber): Promise<void> {
    try {
      for (;;) {
        const ring = await this.#start();
        if (subscriber.state !== 'catching-up') return;
        if (subscriber.position >= ring.floor) {
          subscriber.nextSeq = ring.seqAfter(subscriber.position);
          subscriber.state = 'live';
          this.#following.add(subscriber);
          this.#deliver(subscriber, ring);
          return;
        }
        await replayPage(this.#log, this.#metrics, subscriber);
      }
    } catch (err) {
      if (subscriber.state === 'closed') return;
      this.#drop(subscriber);
      subscriber.sink.end('error', err instanceof Error ? err.message : String(err));
    }
  }

  #resume(subscriber: Subscriber): void {
    if (subscriber.state === 'blocked' && this.#ring !== undefined) {
      this.#deliver(subscriber, this.#ring);
    } else if (subscriber.drained !== undefined) {
      const drained = subscriber.drained;
      subscriber.drained = undefined;
      drained();
    }
  }

  #kick(subscriber: Subscriber, behind: number): void {
    this.#drop(subscriber);
    subscriber.sink.end('slow', `${behind} events behind`);
  }

  #drop(subscriber: Subscriber): void {
    if (subscriber.state === 'closed') return;
    subscriber.state = 'closed';
    this.#all.delete(subscriber);
    this.#following.delete(subscriber);
    this.#filters.release(subscriber.options.principal, subscriber.options.patterns);
    subscriber.drained?.();
    subscriber.drained = undefined;
  }

  /** The tail ended under us (log closed or failing): every client is told to come back later. */
  #fail(failure: unknown): void {
    this.#reportAll();
    this.#starting = undefined;
    this.#tail = undefined;
    this.#ring = undefined;
    const message =
      failure === undefined
        ? 'the log tail ended'
        : `the log tail failed: ${failure instanceof Error ? failure.message : 'unknown error'}`;
    for (const subscriber of [...this.#following]) {
      this.#drop(subscriber);
      subscriber.sink.end('error', message);
    }
  }

  #reportAll(): void {
    if (this.#ring === undefined) return;
    for (const entry of this.#ring.entries()) reportDeliveries(this.#metrics, entry);
  }
}
