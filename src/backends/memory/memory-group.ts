import { describeError } from '../../errors/index.js';
import { byRecorded, type EventList } from '../../log/event-list.js';
import { eventStatus } from '../../log/event-status.js';
import { deadLetterPage, pendingPage, type GroupPage } from '../../log/group-page.js';
import { nackDelay, resolveGroupOptions, type ResolvedGroupOptions } from '../../log/group-options.js';
import { checkInteger, checkMillis } from '../../log/invalid-option.js';
import { Notifier, waitForAny } from '../../log/notifier.js';
import { settle } from '../../log/settle.js';
import { checkLogPosition } from '../../log/read-filter.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type {
  ConsumerGroup,
  EventStatus,
  GroupDeadLetter,
  GroupDelivery,
  GroupInfo,
  GroupOptions,
  GroupPageOptions,
  GroupPending,
  StoredEvent,
} from '../../log/types.js';

/** What a memory group needs from its log. Internal. */
export interface MemoryGroupHost {
  readonly events: EventList;
  /** Notified after every append that stored something, and at close. */
  readonly appended: Notifier;
  readonly closed: boolean;
  now(): number;
  assertOpen(): void;
}

interface Pending {
  readonly event: StoredEvent;
  count: number;
  dueAt: number;
  error: string | undefined;
  /** Which delivery is current: a nack of an older one is stale and ignored. */
  serial: number;
}

/**
 * A consumer group of the memory log; its state lives as long as the log. See `memoryLog` for
 * the rules. Internal: obtained through `log.group(name)`.
 */
export class MemoryGroup implements ConsumerGroup {
  readonly name: string;
  readonly #host: MemoryGroupHost;
  #options: ResolvedGroupOptions;
  #matches: (type: string) => boolean;
  /** Events at or below this were before the group's start. */
  readonly #origin: number;
  /** Every event at or below this was delivered or is not for the group. */
  #cursor: number;
  readonly #pending = new Map<number, Pending>();
  readonly #dead = new Map<number, GroupDeadLetter>();
  /** A lower bound of every pending `dueAt`, so a pull skips the scan when nothing can be due. */
  #earliestDue = Infinity;
  #serial = 0;
  /** Wakes waiting pulls when a nack or redrive makes something due. */
  readonly #changed = new Notifier();

  constructor(host: MemoryGroupHost, name: string, options: GroupOptions) {
    this.#host = host;
    this.name = name;
    this.#options = resolveGroupOptions(options);
    this.#matches = typeMatcher(this.#options.types);
    this.#origin = this.#cursor = startCursor(
      host.events,
      checkLogPosition('startAt', options.startAt ?? 'end'),
    );
  }

  get options(): ResolvedGroupOptions {
    return this.#options;
  }

  /**
   * Applies options of a later `group(name, options)` call. Pending events the new types do not
   * match leave the group as if acked: they are no longer its events.
   */
  update(options: GroupOptions): void {
    this.#options = resolveGroupOptions(options, this.#options);
    this.#matches = typeMatcher(this.#options.types);
    for (const [position, entry] of this.#pending) {
      if (!this.#matches(entry.event.type)) this.#pending.delete(position);
    }
  }

  async pull(
    options: { max?: number; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<GroupDelivery[]> {
    this.#host.assertOpen();
    const max = checkInteger('max', options.max ?? 1, 1);
    const waitMs = checkMillis('waitMs', options.waitMs ?? 0, 0);
    const { signal } = options;
    const host = this.#host;
    // The wait is real time (Date.now), ack deadlines are the log's clock: an injected clock
    // that stands still must not make a pull wait forever.
    const deadline = Date.now() + waitMs;
    for (;;) {
      const deliveries = this.#take(max);
      if (deliveries.length > 0 || host.closed || signal?.aborted === true) return deliveries;
      const left = deadline - Date.now();
      if (left <= 0) return deliveries;
      const untilDue = this.#earliestDue - host.now();
      await waitForAny([host.appended, this.#changed], Math.min(left, untilDue), signal);
    }
  }

  /** Due redeliveries first (by position), then new matching events after the cursor. */
  #take(max: number): GroupDelivery[] {
    const out: GroupDelivery[] = [];
    const now = this.#host.now();
    const { ackWaitMs, maxDeliveries } = this.#options;
    if (now >= this.#earliestDue) {
      const due: Pending[] = [];
      let earliest = Infinity;
      for (const entry of this.#pending.values()) {
        if (entry.dueAt <= now) due.push(entry);
        else earliest = Math.min(earliest, entry.dueAt);
      }
      due.sort((a, b) => a.event.position - b.event.position);
      for (const entry of due) {
        // A redriven dead letter the current types do not match is no longer the group's.
        if (!this.#matches(entry.event.type)) this.#pending.delete(entry.event.position);
        else if (out.length >= max) earliest = Math.min(earliest, entry.dueAt);
        else if (entry.count >= maxDeliveries) this.#bury(entry, `not acked within ${ackWaitMs} ms`);
        else {
          entry.count++;
          entry.dueAt = now + ackWaitMs;
          earliest = Math.min(earliest, entry.dueAt);
          out.push(this.#deliver(entry));
        }
      }
      this.#earliestDue = earliest;
    }
    const events = this.#host.events;
    for (let i = events.upperBound(this.#cursor); out.length < max; i++) {
      const event = events.at(i);
      if (event === undefined) break;
      this.#cursor = event.position;
      if (!this.#matches(event.type)) continue;
      const entry: Pending = { event, count: 1, dueAt: now + ackWaitMs, error: undefined, serial: 0 };
      this.#pending.set(event.position, entry);
      this.#earliestDue = Math.min(this.#earliestDue, entry.dueAt);
      out.push(this.#deliver(entry));
    }
    return out;
  }

  #deliver(entry: Pending): GroupDelivery {
    const serial = (entry.serial = ++this.#serial);
    const { position } = entry.event;
    return {
      event: entry.event,
      deliveryCount: entry.count,
      ack: () =>
        settle(() => {
          this.#host.assertOpen();
          // Even a stale delivery's ack counts: the handler did the work, so a redelivery in
          // flight would only repeat it.
          this.#pending.delete(position);
        }),
      nack: (options = {}) => settle(() => this.#nack(entry, serial, options)),
    };
  }

  #nack(
    entry: Pending,
    serial: number,
    options: { delayMs?: number; error?: unknown; deadLetter?: boolean },
  ): void {
    this.#host.assertOpen();
    const delay = nackDelay(this.#options.backoff, entry.count, options.delayMs);
    // A nack of a delivery that was redelivered since belongs to a member that lost it.
    if (this.#pending.get(entry.event.position) !== entry || entry.serial !== serial) return;
    if (options.error !== undefined) entry.error = describeError(options.error);
    if (options.deadLetter === true || entry.count >= this.#options.maxDeliveries)
      return this.#bury(entry, entry.error);
    entry.dueAt = this.#host.now() + delay;
    this.#earliestDue = Math.min(this.#earliestDue, entry.dueAt);
    this.#changed.notify();
  }

  #bury(entry: Pending, error: string | undefined): void {
    this.#pending.delete(entry.event.position);
    const at = new Date(this.#host.now()).toISOString();
    this.#dead.set(entry.event.position, { event: entry.event, deliveries: entry.count, error, at });
  }

  info(): Promise<GroupInfo> {
    return settle(() => this.#info());
  }

  #info(): GroupInfo {
    this.#host.assertOpen();
    let lag = 0;
    for (const event of this.#host.events.walk(this.#host.events.upperBound(this.#cursor), true)) {
      if (this.#matches(event.type)) lag++;
    }
    let lowestPending = Infinity;
    for (const position of this.#pending.keys()) lowestPending = Math.min(lowestPending, position);
    return {
      name: this.name,
      ackedPosition: lowestPending === Infinity ? this.#cursor : lowestPending - 1,
      deliveredPosition: this.#cursor,
      pending: this.#pending.size,
      lag,
      deadLetters: this.#dead.size,
    };
  }

  status(position: number): Promise<EventStatus | undefined> {
    return settle(() => this.#status(position));
  }

  #status(position: number): EventStatus | undefined {
    this.#host.assertOpen();
    const pending = this.#pending.get(position);
    const event = this.#host.events.find(position);
    return eventStatus({
      matches: event !== undefined && this.#matches(event.type),
      afterStart: position > this.#origin,
      delivered: position <= this.#cursor,
      dead: this.#dead.has(position),
      pending: pending === undefined ? undefined : { due: pending.dueAt <= this.#host.now() },
    });
  }

  deadLetters(options: GroupPageOptions = {}): Promise<GroupDeadLetter[]> {
    return settle(() => {
      this.#host.assertOpen();
      return page(this.#dead, deadLetterPage(options));
    });
  }

  /** In-hands and waiting deliveries; sorts those above `after` (O(P log P) for P pending). */
  pending(options: GroupPageOptions = {}): Promise<GroupPending[]> {
    return settle(() => {
      this.#host.assertOpen();
      return page(this.#pending, pendingPage(options)).map((entry) => ({
        event: entry.event,
        deliveries: entry.count,
        error: entry.error,
        dueAt: new Date(entry.dueAt).toISOString(),
      }));
    });
  }

  redrive(positions?: readonly number[]): Promise<number> {
    return settle(() => this.#redrive(positions));
  }

  #redrive(positions?: readonly number[]): number {
    this.#host.assertOpen();
    const now = this.#host.now();
    let count = 0;
    for (const position of positions ?? [...this.#dead.keys()]) {
      const dead = this.#dead.get(position);
      if (dead === undefined) continue;
      this.#dead.delete(position);
      this.#pending.set(position, { event: dead.event, count: 0, dueAt: now, error: undefined, serial: 0 });
      count++;
    }
    if (count > 0) {
      this.#earliestDue = Math.min(this.#earliestDue, now);
      this.#changed.notify();
    }
    return count;
  }

  purge(positions?: readonly number[]): Promise<number> {
    return settle(() => this.#purge(positions));
  }

  #purge(positions?: readonly number[]): number {
    this.#host.assertOpen();
    if (positions === undefined) {
      const count = this.#dead.size;
      this.#dead.clear();
      return count;
    }
    let count = 0;
    for (const position of positions) if (this.#dead.delete(position)) count++;
    return count;
  }
}

/** The values of a map keyed by position: those above `after`, in position order, at most `limit`. */
function page<T>(byPosition: ReadonlyMap<number, T>, { limit, after }: GroupPage): T[] {
  const positions: number[] = [];
  for (const position of byPosition.keys()) if (position > after) positions.push(position);
  positions.sort((a, b) => a - b);
  if (positions.length > limit) positions.length = limit;
  return positions.map((position) => byPosition.get(position)!);
}

/** The cursor of a new group: the position just before the first event it takes. */
function startCursor(events: EventList, startAt: number | 'start' | 'end' | Date): number {
  const last = events.last()?.position ?? 0;
  if (startAt === 'start') return 0;
  if (startAt === 'end') return last;
  if (typeof startAt === 'number') return Math.max(0, startAt - 1);
  const first = events.at(events.lowerBound(startAt.getTime(), byRecorded));
  return first === undefined ? last : first.position - 1;
}
