import { orUnreachable } from './nats-errors.js';
import type { JetStreamManager } from '@nats-io/jetstream';
import { nanos, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { describeError } from '../../errors/index.js';
import { eventStatus } from '../../log/event-status.js';
import { nackDelay, type ResolvedGroupOptions } from '../../log/group-options.js';
import { deadLetterPage, pendingPage } from '../../log/group-page.js';
import { checkInteger, checkMillis } from '../../log/invalid-option.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type {
  ConsumerGroup,
  EventStatus,
  GroupDeadLetter,
  GroupDelivery,
  GroupInfo,
  GroupPageOptions,
  GroupPending,
  StoredEvent,
} from '../../log/types.js';
import type { AckBatcher } from './ack-batcher.js';
import { DeadLetterStore, POSITION_HEADER, type StoredDeadLetter } from './dead-letter-store.js';
import type { GroupPlace, GroupRecord } from './group-naming.js';
import { deliveryInfo, pullMessages, type PullRequest } from './pull-request.js';

/** This process's view of one delivered event of a group (JetStream keeps no per-message state it would show). */
export interface Tracked {
  readonly event: StoredEvent;
  /**
   * The delivery count of its latest delivery here: JetStream's, less the deliveries recorded as
   * never having reached a member.
   */
  readonly deliveries: number;
  /** How many of JetStream's deliveries of it never reached a member (records to clear once settled). */
  readonly unreached: number;
  /** Delivered through the redrive consumer (the group consumer's ack floor says nothing of it). */
  readonly redriven: boolean;
  deadline: number;
  acked: boolean;
  /** `Date.now()` when its ack was confirmed (0 until then). */
  ackedAt: number;
  error: string | undefined;
}

/** Events acked by other processes this group remembers at most (the oldest are forgotten first). */
const MAX_ACKED_ELSEWHERE = 20_000;

/** What a delivery handed out holds, for its ack or nack: kept off the delivery object users see. */
interface Held {
  readonly message: Msg;
  readonly event: StoredEvent;
  readonly entry: Tracked;
  readonly redriven: boolean;
}

/** What a group needs of its log. Internal. */
export interface NatsGroupContext {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly dead: DeadLetterStore;
  assertOpen(): void;
  /** The stored event at a delivered position, once the log's index has it (at once if it does). */
  eventAt(position: number): StoredEvent | undefined | Promise<StoredEvent | undefined>;
  /** The stored event at a position, after catching up with the stream. */
  storedAt(position: number): Promise<StoredEvent | undefined>;
  /** The deliveries of this group that this process handed out, by position. */
  readonly tracked: Map<number, Tracked>;
  /** Acks of the log's connection, confirmed one round trip per batch. */
  readonly acks: AckBatcher;
}

/**
 * How long after its local deadline a delivery counts as due: JetStream's redelivery timer fires
 * about a millisecond after the ack wait (or nak delay) from its own delivery time, so a status
 * of `pending` is only shown once the server will indeed hand the event out again.
 */
const DUE_MARGIN_MS = 10;

/**
 * Deliveries of a group this process keeps records of at most, beyond those not yet acked: past
 * it the oldest acked records go, down to half (their status then comes from the consumer's ack
 * floor). The acked records are also what `#take` checks a delivery against: the server may hand
 * out again an event whose ack it confirmed, when it stopped before its consumer state reached
 * the disk (see `docs/nats.md`).
 */
const MAX_TRACKED = 10_000;

function forgetAcked(tracked: Map<number, Tracked>): void {
  for (const [position, t] of tracked) {
    if (tracked.size <= MAX_TRACKED / 2) return;
    if (t.acked) tracked.delete(position);
  }
}

/** Waits for `promise`, or returns undefined as soon as `signal` aborts. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const abort = (): void => resolve(undefined);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * A consumer group of the NATS log: one durable pull consumer on the log's stream (AckWait =
 * `ackWaitMs`, MaxDeliver unlimited: this class dead-letters an event once members got it
 * `maxDeliveries` times, JetStream's count less the deliveries recorded as never having reached a
 * member), `nak(delay)` for a nack (the group's backoff
 * computed here), and for dead letters a `term()` plus a message in the log's dead-letter
 * stream with the last error; redriven events go through a second durable consumer on that
 * stream, so their delivery count starts again at 1. Internal: obtained through `log.group(name)`.
 *
 * @example
 * ```ts
 * const group = await log.group('mailer', { types: ['order.>'] }); // a NatsGroup
 * for (const delivery of await group.pull({ max: 10, waitMs: 1000 })) await delivery.ack();
 * ```
 */
export class NatsGroup implements ConsumerGroup {
  readonly name: string;
  readonly #ctx: NatsGroupContext;
  readonly #place: GroupPlace;
  /** Positions other processes said they saw acked (`ackedElsewhere`), oldest first. */
  readonly #ackedElsewhere = new Set<number>();
  #record: GroupRecord;
  #matches: (type: string) => boolean;
  /** Deliveries that reached this process after the pull that asked for them returned. */
  readonly #buffer: GroupDelivery[] = [];
  /** What each buffered delivery holds, for the buffer's check. */
  readonly #held = new WeakMap<GroupDelivery, Held>();

  constructor(ctx: NatsGroupContext, place: GroupPlace, record: GroupRecord) {
    this.name = place.name;
    this.#ctx = ctx;
    this.#place = place;
    this.#record = record;
    this.#matches = typeMatcher(record.options.types);
  }

  get options(): ResolvedGroupOptions {
    return this.#record.options;
  }

  /** The positions whose acks this process saw confirmed at or after `since` (epoch ms). Internal. */
  ackedSince(since: number): number[] {
    const out: number[] = [];
    for (const [position, t] of this.#ctx.tracked) if (t.acked && t.ackedAt >= since) out.push(position);
    return out;
  }

  /** Events another process saw acked: never handed out here (acked again if delivered). Internal. */
  ackedElsewhere(positions: readonly number[]): void {
    const seen = this.#ackedElsewhere;
    for (const position of positions) {
      seen.delete(position);
      seen.add(position);
    }
    for (const oldest of seen) {
      if (seen.size <= MAX_ACKED_ELSEWHERE) break;
      seen.delete(oldest);
    }
  }

  /** Takes the options another `group()` call stored. */
  refresh(record: GroupRecord): void {
    this.#record = record;
    this.#matches = typeMatcher(record.options.types);
  }

  /** See `ConsumerGroup.pull`; a lost server is `LOG_UNREACHABLE`. */
  pull(options: { max?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<GroupDelivery[]> {
    return orUnreachable(this.#pull(options));
  }

  async #pull(
    options: { max?: number; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<GroupDelivery[]> {
    this.#ctx.assertOpen();
    const max = checkInteger('max', options.max ?? 1, 1);
    const waitMs = checkMillis('waitMs', options.waitMs ?? 0, 0);
    const { signal } = options;
    const { stream, durable, dlqStream, redriveDurable } = this.#place;
    const out = await this.#fromBuffer(max);
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (signal?.aborted === true) return out;
      // Redriven events first, then the stream (JetStream hands out due redeliveries first). Both
      // are asked at once (one round trip); what exceeds `max` waits in the buffer for the next
      // pull (at most one pull's worth, since the buffer is served before anything is asked).
      if (out.length < max) {
        const want = { batch: max - out.length };
        const [redriven, fresh] = await Promise.all([
          this.#take(dlqStream, redriveDurable, want, true),
          this.#take(stream, durable, want, false),
        ]);
        out.push(...redriven, ...fresh);
        if (out.length > max) this.#buffer.push(...out.splice(max));
      }
      const remaining = deadline - Date.now();
      if (out.length > 0 || remaining < 1) return redeliveriesFirst(out);
      // Waits for one on the stream, in steps of at most a second so redriven events are seen.
      const waiting = this.#take(stream, durable, { batch: 1, expiresMs: Math.min(remaining, 1_000) }, false);
      const got = await unlessAborted(waiting, signal);
      if (got === undefined) {
        void waiting.then((late) => this.#buffer.push(...late)).catch(() => undefined);
        return out;
      }
      out.push(...got);
    }
  }

  /**
   * Up to `max` buffered deliveries that still have at least half their ack wait: an older one is
   * dropped, not handed out, since the server hands it out again once its ack wait ends and two
   * members would then hold the same event. A dropped delivery of the group consumer is recorded
   * as unreached first (in the dead-letter stream), so it does not count toward `maxDeliveries`;
   * if that write fails it counts.
   */
  async #fromBuffer(max: number): Promise<GroupDelivery[]> {
    const out: GroupDelivery[] = [];
    const margin = this.#record.options.ackWaitMs / 2;
    while (out.length < max && this.#buffer.length > 0) {
      const delivery = this.#buffer.shift()!;
      const held = this.#held.get(delivery)!;
      if (held.entry.deadline - Date.now() >= margin) out.push(delivery);
      else if (!held.redriven) await this.#ctx.dead.addUnreached(held.event.position).catch(() => undefined);
    }
    return out;
  }

  async #take(
    stream: string,
    durable: string,
    request: PullRequest,
    redriven: boolean,
  ): Promise<GroupDelivery[]> {
    const messages = await pullMessages(this.#ctx.nc, stream, durable, request);
    // Redeliveries (the exception) are told how many earlier deliveries never reached a member.
    const redelivery = !redriven && messages.some((m) => deliveryInfo(m.reply!).deliveryCount > 1);
    const unreachedOf = redelivery
      ? await this.#ctx.dead.unreached().catch(() => new Map<number, number>())
      : undefined;
    const out: GroupDelivery[] = [];
    for (const m of messages) {
      const info = deliveryInfo(m.reply!);
      const position = redriven ? Number(m.headers?.get(POSITION_HEADER)) : info.seq;
      const known = this.#ctx.eventAt(position);
      let event = known instanceof Promise ? await known : known;
      if (event === undefined && redriven) event = Object.freeze(m.json<StoredEvent>());
      // Deleted from the log meanwhile, or a type the group no longer (or never, with several
      // patterns) takes: acked at once, never handed out.
      if (event === undefined || !this.#matches(event.type)) {
        await respond(this.#ctx.nc, m, '+ACK');
        continue;
      }
      const tracked = this.#ctx.tracked;
      const before = tracked.get(position);
      if (!redriven && (before?.acked === true || this.#ackedElsewhere.has(position))) {
        // Acked here, or by another process that said so after a reconnect, and the ack was
        // confirmed: the server lost it (it stopped before its consumer state was written).
        // Acked again, never handed out a second time.
        await respond(this.#ctx.nc, m, '+ACK');
        continue;
      }
      const { maxDeliveries, ackWaitMs } = this.#record.options;
      const error = before?.error;
      const unreached = info.deliveryCount > 1 ? (unreachedOf?.get(position) ?? 0) : 0;
      // At least 1: a server that lost its consumer state counts from 1 again, records or not.
      const deliveries = Math.max(1, info.deliveryCount - unreached);
      if (deliveries > maxDeliveries) {
        // The delivery past maxDeliveries: the last ack wait expired, the event is a dead letter.
        await this.#bury(m, event, deliveries - 1, error, redriven, unreached);
        continue;
      }
      const entry: Tracked = {
        event,
        deliveries,
        unreached,
        redriven,
        deadline: Date.now() + ackWaitMs,
        acked: false,
        ackedAt: 0,
        error,
      };
      tracked.set(position, entry);
      const held: Held = { message: m, event, entry, redriven };
      const delivery = new NatsDelivery(this, held);
      this.#held.set(delivery, held);
      out.push(delivery);
    }
    return out;
  }

  /** The ack of a delivery, confirmed with the others of its batch. Internal: called by `NatsDelivery`. */
  async ackDelivery(d: Held): Promise<void> {
    await this.#ctx.acks.ack(d.message);
    const tracked = this.#ctx.tracked;
    const current = tracked.get(d.event.position);
    if (current !== undefined) {
      current.acked = true;
      current.ackedAt = Date.now();
    }
    if (tracked.size > MAX_TRACKED) forgetAcked(tracked);
    if (d.redriven) await this.#settled(d.message);
    if (d.entry.unreached > 0) await this.#ctx.dead.clearUnreached(d.event.position).catch(() => undefined);
  }

  /** The nack of a delivery: a `nak` with the delay, or a dead letter. Internal: called by `NatsDelivery`. */
  async nackDelivery(
    d: Held,
    options: { delayMs?: number; error?: unknown; deadLetter?: boolean },
  ): Promise<void> {
    const { maxDeliveries, backoff } = this.#record.options;
    const { entry } = d;
    const deliveryCount = entry.deliveries;
    const delay = nackDelay(backoff, deliveryCount, options.delayMs);
    const error = options.error === undefined ? entry.error : describeError(options.error);
    if (options.deadLetter === true || deliveryCount >= maxDeliveries) {
      await this.#bury(d.message, d.event, deliveryCount, error, d.redriven, entry.unreached);
      return;
    }
    entry.error = error;
    entry.deadline = Date.now() + delay;
    const body = delay > 0 ? `-NAK ${JSON.stringify({ delay: nanos(delay) })}` : '-NAK';
    await respond(this.#ctx.nc, d.message, body);
  }

  /** Dead-letters an event: stored in the dead-letter stream first, then terminated. */
  async #bury(
    m: Msg,
    event: StoredEvent,
    deliveries: number,
    error: string | undefined,
    redriven: boolean,
    unreached: number,
  ): Promise<void> {
    await this.#ctx.dead.add(event, deliveries, error);
    await respond(this.#ctx.nc, m, '+TERM');
    this.#ctx.tracked.delete(event.position);
    if (redriven) await this.#settled(m);
    if (unreached > 0) await this.#ctx.dead.clearUnreached(event.position).catch(() => undefined);
  }

  /**
   * A redriven event's message in the dead-letter stream has served its purpose once its
   * delivery is acked or dead-lettered again: it is deleted, so the stream does not keep it.
   */
  async #settled(m: Msg): Promise<void> {
    const { seq } = deliveryInfo(m.reply!);
    await this.#ctx.jsm.streams.deleteMessage(this.#place.dlqStream, seq, false).catch(() => false);
  }

  /** See `ConsumerGroup.info`; a lost server is `LOG_UNREACHABLE`. */
  info(): Promise<GroupInfo> {
    return orUnreachable(this.#info());
  }

  async #info(): Promise<GroupInfo> {
    this.#ctx.assertOpen();
    const { jsm } = this.#ctx;
    const [main, redrive, deadLetters] = await Promise.all([
      jsm.consumers.info(this.#place.stream, this.#place.durable),
      jsm.consumers.info(this.#place.dlqStream, this.#place.redriveDurable),
      this.#ctx.dead.count(),
    ]);
    const ackFloor = main.ack_floor.stream_seq;
    return {
      name: this.name,
      ackedPosition: ackFloor,
      deliveredPosition: main.delivered.stream_seq,
      pending: main.num_ack_pending + redrive.num_ack_pending,
      lag: main.num_pending + redrive.num_pending,
      deadLetters,
    };
  }

  /** See `ConsumerGroup.status`; a lost server is `LOG_UNREACHABLE`. */
  status(position: number): Promise<EventStatus | undefined> {
    return orUnreachable(this.#status(position));
  }

  async #status(position: number): Promise<EventStatus | undefined> {
    this.#ctx.assertOpen();
    checkInteger('position', position, 0);
    const event = await this.#ctx.storedAt(position);
    const dead = (await this.#ctx.dead.list()).some((d) => d.event.position === position);
    const entry = this.#ctx.tracked.get(position);
    let delivered = entry?.acked === true;
    let pending =
      entry === undefined || entry.acked ? undefined : { due: Date.now() >= entry.deadline + DUE_MARGIN_MS };
    if (entry === undefined && event !== undefined) {
      const main = await this.#ctx.jsm.consumers.info(this.#place.stream, this.#place.durable);
      delivered = position <= main.delivered.stream_seq;
      // Delivered and unacked by another process: its deadline is not known here.
      if (delivered && position > main.ack_floor.stream_seq) pending = { due: false };
    }
    return eventStatus({
      matches: event !== undefined && this.#matches(event.type),
      afterStart: position >= this.#record.start,
      delivered,
      dead,
      pending,
    });
  }

  /**
   * The dead-letter stream holds no index by position: every dead letter of the group is read
   * (one request each) and sorted, then the page is cut (O(D) requests for D dead letters).
   */
  /** See `ConsumerGroup.deadLetters`; a lost server is `LOG_UNREACHABLE`. */
  deadLetters(options: GroupPageOptions = {}): Promise<GroupDeadLetter[]> {
    return orUnreachable(this.#deadLetters(options));
  }

  async #deadLetters(options: GroupPageOptions = {}): Promise<GroupDeadLetter[]> {
    this.#ctx.assertOpen();
    const { limit, after } = deadLetterPage(options);
    const letters = (await this.#ctx.dead.list()).filter((d) => d.event.position > after);
    return letters.slice(0, limit).map(({ seq: _, ...letter }) => letter);
  }

  /**
   * JetStream lists no consumer's pending messages, so this is the process's own record: the
   * deliveries this process handed out and has not seen acked or dead-lettered, those of the group
   * consumer above its ack floor (one `CONSUMER.INFO`; below it another process settled them),
   * sorted by position (O(T log T) for T records, at most 10,000 beyond the unacked). Deliveries
   * other processes hold, and redriven events not yet delivered again (counted as `lag` by
   * `info()`), are not listed. Due times are this process's clock.
   */
  /** See `ConsumerGroup.pending`; a lost server is `LOG_UNREACHABLE`. */
  pending(options: GroupPageOptions = {}): Promise<GroupPending[]> {
    return orUnreachable(this.#pending(options));
  }

  async #pending(options: GroupPageOptions = {}): Promise<GroupPending[]> {
    this.#ctx.assertOpen();
    const { limit, after } = pendingPage(options);
    const main = await this.#ctx.jsm.consumers.info(this.#place.stream, this.#place.durable);
    const floor = main.ack_floor.stream_seq;
    const open: Tracked[] = [];
    for (const [position, t] of this.#ctx.tracked) {
      if (!t.acked && position > after && (t.redriven || position > floor)) open.push(t);
    }
    open.sort((a, b) => a.event.position - b.event.position);
    return open.slice(0, limit).map((t) => ({
      event: t.event,
      deliveries: t.deliveries,
      error: t.error,
      dueAt: new Date(t.deadline).toISOString(),
    }));
  }

  async #chosen(positions: readonly number[] | undefined): Promise<StoredDeadLetter[]> {
    this.#ctx.assertOpen();
    const letters = await this.#ctx.dead.list();
    if (positions === undefined) return letters;
    const wanted = new Set(positions);
    return letters.filter((l) => wanted.has(l.event.position));
  }

  /** See `ConsumerGroup.redrive`; a lost server is `LOG_UNREACHABLE`. */
  redrive(positions?: readonly number[]): Promise<number> {
    return orUnreachable(this.#redrive(positions));
  }

  async #redrive(positions?: readonly number[]): Promise<number> {
    const chosen = await this.#chosen(positions);
    for (const letter of chosen) {
      await this.#ctx.dead.redrive(letter);
      await this.#ctx.dead.remove(letter.seq);
      this.#ctx.tracked.delete(letter.event.position);
    }
    return chosen.length;
  }

  /** See `ConsumerGroup.purge`; a lost server is `LOG_UNREACHABLE`. */
  purge(positions?: readonly number[]): Promise<number> {
    return orUnreachable(this.#purge(positions));
  }

  async #purge(positions?: readonly number[]): Promise<number> {
    const chosen = await this.#chosen(positions);
    for (const letter of chosen) await this.#ctx.dead.remove(letter.seq);
    return chosen.length;
  }
}

/**
 * Redeliveries before first deliveries, each in the order JetStream gave them: a redelivery that
 * became due while a pull was being served may arrive after new events of the same pull.
 */
function redeliveriesFirst(deliveries: GroupDelivery[]): GroupDelivery[] {
  return [
    ...deliveries.filter((d) => d.deliveryCount > 1),
    ...deliveries.filter((d) => d.deliveryCount === 1),
  ];
}

/** Acks, naks or terms a delivery and waits for the server to confirm it (ack of the ack). */
async function respond(nc: NatsConnection, m: Msg, body: string): Promise<void> {
  await nc.request(m.reply!, body, { timeout: 5_000 });
}

/**
 * One delivery of a NATS group. Its methods live on the class (a pulled batch allocates no
 * closures per delivery) and call the group's; the first of ack or nack counts.
 */
class NatsDelivery implements GroupDelivery {
  readonly event: StoredEvent;
  readonly #group: NatsGroup;
  readonly #held: Held;
  #done = false;

  constructor(group: NatsGroup, held: Held) {
    this.#group = group;
    this.#held = held;
    this.event = held.event;
  }

  get deliveryCount(): number {
    return this.#held.entry.deliveries;
  }

  async ack(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await orUnreachable(this.#group.ackDelivery(this.#held));
  }

  async nack(options: { delayMs?: number; error?: unknown; deadLetter?: boolean } = {}): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await orUnreachable(this.#group.nackDelivery(this.#held, options));
  }
}
