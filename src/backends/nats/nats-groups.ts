import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { resolveGroupOptions } from '../../log/group-options.js';
import { checkName } from '../../log/invalid-option.js';
import { checkLogPosition } from '../../log/read-filter.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type { ConsumerGroup, GroupOptions, LogPosition, StoredEvent } from '../../log/types.js';
import { AckBatcher } from './ack-batcher.js';
import { DeadLetterStore } from './dead-letter-store.js';
import { groupNameOf, groupPlace, type GroupPlace } from './group-naming.js';
import { NatsGroup, type Tracked } from './nats-group.js';
import { openNatsGroup } from './open-nats-group.js';
import { groupSurface } from '../../log/surface.js';

/**
 * How long before a dropped connection an ack counts as at risk: nats-server 2.9 answers an ack
 * and writes the consumer's state to disk later, so acks it confirmed shortly before it was
 * killed, or while it shut down, can be gone after its restart (measured: up to 85 ms before a
 * kill -9, 55 ms after a SIGTERM).
 */
const ECHO_WINDOW_MS = 2_000;
/** After a reconnect the at-risk acks are said at once and again after these delays (ms), for processes that reconnect later. */
const ECHO_REPEATS_MS = [0, 1_000, 3_000];
/** Positions in one echo message at most. */
const ECHO_CHUNK = 10_000;

/** What the groups need of the log. Internal. */
export interface NatsGroupsHost {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subjectPrefix: string;
  assertOpen(): void;
  eventAt(position: number): StoredEvent | undefined | Promise<StoredEvent | undefined>;
  storedAt(position: number): Promise<StoredEvent | undefined>;
  /** The first position a group created now at `startAt` takes (after catching up). */
  startPosition(startAt: LogPosition): Promise<number>;
}

/**
 * The consumer groups of one NATS log: opens them (one `NatsGroup` object per name in this
 * process, sharing its delivery tracking) and lists them from the stream's consumers. Internal.
 *
 * @example
 * ```ts
 * const groups = new NatsGroups(host);
 * const group = await groups.open('mailer', { types: ['order.>'] });
 * ```
 */
export class NatsGroups {
  readonly #host: NatsGroupsHost;
  readonly #acks: AckBatcher;
  readonly #groups = new Map<string, NatsGroup>();
  readonly #echoes: Subscription[] = [];
  readonly #echoTimers = new Set<ReturnType<typeof setTimeout>>();
  /** When the connection dropped (undefined while connected). */
  #downSince: number | undefined;

  constructor(host: NatsGroupsHost) {
    this.#host = host;
    this.#acks = new AckBatcher(host.nc);
  }

  /** Fails acks still waiting for their confirmation (the connection dropped). */
  failWaiting(error: unknown): void {
    this.#acks.failWaiting(error);
  }

  /** Fails acks still waiting for their confirmation (the log is closing); stops the echoes. */
  close(error: unknown): void {
    this.#acks.close(error);
    for (const timer of this.#echoTimers) clearTimeout(timer);
    this.#echoTimers.clear();
    for (const sub of this.#echoes.splice(0)) sub.unsubscribe();
  }

  /** The connection dropped: acks confirmed shortly before now are at risk. */
  disconnected(): void {
    this.#downSince ??= Date.now();
  }

  /**
   * The connection is back: tell every process with the same groups which events this one saw
   * acked within `ECHO_WINDOW_MS` before the drop, so none of them hands such an event out again
   * if the server lost the ack (it acks it again instead). Said three times (at once, after 1 s
   * and 3 s), for processes whose connections come back later; the server redelivers only after
   * the group's ack wait. Core NATS, nothing stored: a process that is down meanwhile misses it.
   */
  reconnected(): void {
    const since = this.#downSince;
    this.#downSince = undefined;
    if (since === undefined) return;
    const said: [string, Uint8Array][] = [];
    for (const group of this.#groups.values()) {
      const positions = group.ackedSince(since - ECHO_WINDOW_MS);
      for (let i = 0; i < positions.length; i += ECHO_CHUNK) {
        const chunk = JSON.stringify(positions.slice(i, i + ECHO_CHUNK));
        said.push([
          groupPlace(this.#host.stream, group.name).ackEchoSubject,
          new TextEncoder().encode(chunk),
        ]);
      }
    }
    if (said.length === 0) return;
    for (const delay of ECHO_REPEATS_MS) {
      const timer = setTimeout(() => {
        this.#echoTimers.delete(timer);
        for (const [subject, payload] of said) {
          try {
            this.#host.nc.publish(subject, payload);
          } catch {
            // Closed or down again: the next reconnect says its own.
          }
        }
      }, delay);
      this.#echoTimers.add(timer);
    }
  }

  /** Listens to what other processes say they saw acked in `group`. */
  #listen(place: GroupPlace, group: NatsGroup): void {
    const sub = this.#host.nc.subscribe(place.ackEchoSubject, {
      callback: (error, msg) => {
        if (error !== null) return;
        let positions: unknown;
        try {
          positions = msg.json();
        } catch {
          return; // not ours
        }
        if (!Array.isArray(positions) || positions.length > ECHO_CHUNK) return;
        group.ackedElsewhere(
          positions.filter((p): p is number => Number.isSafeInteger(p) && (p as number) > 0),
        );
      },
    });
    this.#echoes.push(sub);
  }

  async open(name: string, options: GroupOptions = {}): Promise<ConsumerGroup> {
    const host = this.#host;
    host.assertOpen();
    checkName('group', name);
    resolveGroupOptions(options); // refuses bad options before anything is written
    const startAt = checkLogPosition('startAt', options.startAt ?? 'end');
    const { startAt: _, ...rest } = options;
    const place = groupPlace(host.stream, name);
    const start = await host.startPosition(startAt);
    const { record, typesChangedFrom } = await openNatsGroup(
      { jsm: host.jsm, subjectPrefix: host.subjectPrefix, startPosition: () => start },
      place,
      rest,
      startAt,
    );
    if (typesChangedFrom !== undefined) await this.#dropUnmatched(place, typeMatcher(record.options.types));
    let group = this.#groups.get(name);
    if (group === undefined) {
      const tracked = new Map<number, Tracked>();
      const ctx = {
        nc: host.nc,
        jsm: host.jsm,
        dead: new DeadLetterStore(host.js, host.jsm, place),
        tracked,
        acks: this.#acks,
        assertOpen: () => host.assertOpen(),
        eventAt: (position: number) => host.eventAt(position),
        storedAt: (position: number) => host.storedAt(position),
      };
      group = new NatsGroup(ctx, place, record);
      this.#groups.set(name, group);
      this.#listen(place, group);
    } else group.refresh(record);
    return groupSurface(group);
  }

  /**
   * After a group's types changed, its pending deliveries the new types do not match leave it as
   * if acked, so `info()` counts only what it still has to do. JetStream lists no pending
   * messages, so the events delivered and not below the ack floor are looked at in the index,
   * and those of other types are acked on the consumer's ack subject (`$JS.ACK.<stream>.
   * <consumer>.<count>.<stream seq>.<consumer seq>.<time>.<pending>`: the server finds a pending
   * message by its stream sequence; one that is not pending is left as it is).
   */
  async #dropUnmatched(place: GroupPlace, matches: (type: string) => boolean): Promise<void> {
    const host = this.#host;
    const info = await host.jsm.consumers.info(place.stream, place.durable);
    const floor = info.ack_floor.stream_seq;
    const delivered = info.delivered.stream_seq;
    if (delivered <= floor || info.num_ack_pending === 0) return;
    await host.storedAt(delivered); // the index holds every delivered position from here on
    const acks: Promise<unknown>[] = [];
    for (let seq = floor + 1; seq <= delivered; seq++) {
      const event = host.eventAt(seq);
      if (event instanceof Promise || event === undefined || matches(event.type)) continue;
      const subject = `$JS.ACK.${place.stream}.${place.durable}.1.${seq}.${seq}.0.0`;
      acks.push(host.nc.request(subject, '+ACK', { timeout: 5_000 }));
    }
    await Promise.all(acks);
  }

  async names(): Promise<string[]> {
    this.#host.assertOpen();
    const names: string[] = [];
    for await (const info of this.#host.jsm.consumers.list(this.#host.stream)) {
      const name = groupNameOf(info.name);
      if (name !== undefined) names.push(name);
    }
    return names.sort();
  }
}
