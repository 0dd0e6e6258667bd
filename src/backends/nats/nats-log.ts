import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { HeraldError } from '../../errors/index.js';
import type { HeraldEvent } from '../../event/types.js';
import { checkExpectedVersion } from '../../log/expected-version.js';
import { checkInteger, checkName } from '../../log/invalid-option.js';
import { prepareAppend } from '../../log/prepare-append.js';
import { readFilter, type ReadFilter } from '../../log/read-filter.js';
import type {
  AppendInput,
  AppendOptions,
  Appended,
  ConsumerGroup,
  EventLog,
  GroupOptions,
  LogSubscribeOptions,
  LogSubscription,
  ReadOptions,
  StoredEvent,
} from '../../log/types.js';
import { NATS_CAPABILITIES } from './capabilities.js';
import { EventIndex } from './event-index.js';
import { indexSubscription } from './index-subscription.js';
import { decodeEvent, eventHeaders } from './message-codec.js';
import { NatsGroups } from './nats-groups.js';
import { resolveNatsOptions, type NatsLogOptions, type ResolvedNatsOptions } from './options.js';
import { deleteMessages, ensureStream, streamState } from './stream-setup.js';

const WRONG_LAST_SEQUENCE = 10071;
const MAX_ATTEMPTS = 100;
const encoder = new TextEncoder();

/** The log behind `natsLog`. Internal: obtained through `natsLog()`. */
export class NatsLog implements EventLog {
  readonly capabilities = NATS_CAPABILITIES;
  readonly #nc: NatsConnection;
  readonly #ownsConnection: boolean;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #options: ResolvedNatsOptions;
  readonly #index = new EventIndex();
  readonly #groups: NatsGroups;
  #feed: ConsumerMessages | undefined;
  #feedError: unknown;
  /** Appends of this process run one after another: a batch's sequences stay consecutive. */
  #appending: Promise<unknown> = Promise.resolve();

  private constructor(
    nc: NatsConnection,
    owns: boolean,
    jsm: JetStreamManager,
    options: ResolvedNatsOptions,
  ) {
    this.#nc = nc;
    this.#ownsConnection = owns;
    this.#jsm = jsm;
    this.#js = jetstream(nc);
    this.#options = options;
    this.#groups = new NatsGroups({
      nc,
      js: this.#js,
      jsm,
      stream: options.stream,
      subjectPrefix: options.subjectPrefix,
      assertOpen: () => this.#assertOpen(),
      eventAt: async (position) => {
        await this.#seen(position);
        return this.#index.events.find(position);
      },
      storedAt: async (position) => {
        await this.#catchUp();
        return this.#index.events.find(position);
      },
      startPosition: async (startAt) => {
        await this.#catchUp();
        return this.#index.startPosition(startAt);
      },
    });
  }

  static async open(options: NatsLogOptions): Promise<NatsLog> {
    const resolved = resolveNatsOptions(options);
    const owns = options.connection === undefined;
    let nc: NatsConnection;
    try {
      nc = options.connection ?? (await connect({ servers: options.servers }));
    } catch (err) {
      throw new HeraldError('LOG_UNREACHABLE', `cannot reach NATS at ${String(options.servers)}`, {
        cause: err,
      });
    }
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, resolved);
      const log = new NatsLog(nc, owns, jsm, resolved);
      await log.#startFeed();
      await log.#catchUp();
      return log;
    } catch (err) {
      if (owns) await nc.close();
      throw err;
    }
  }

  /** One ordered consumer over the whole stream feeds the index, in sequence order, no polling. */
  async #startFeed(): Promise<void> {
    const consumer = await this.#js.consumers.get(this.#options.stream, {
      filter_subjects: `${this.#options.subjectPrefix}.>`,
      deliver_policy: DeliverPolicy.All,
    });
    const messages = await consumer.consume();
    this.#feed = messages;
    void (async () => {
      try {
        for await (const m of messages) {
          const timeMs = m.info.timestampNanos / 1e6;
          this.#index.add(decodeEvent({ seq: m.seq, headers: m.headers, data: m.data, timeMs }));
        }
      } catch (err) {
        this.#feedError = err;
        this.#index.appended.notify();
      }
    })();
  }

  #assertOpen(): void {
    if (this.#index.closed) throw new HeraldError('LOG_CLOSED', 'the NATS log is closed');
  }

  /** Waits until the index has seen sequence `seq` (from the feed, woken by it). */
  async #seen(seq: number): Promise<void> {
    while (this.#index.lastSeq < seq) {
      this.#assertOpen();
      if (this.#feedError !== undefined)
        throw new HeraldError('LOG_UNREACHABLE', 'the JetStream feed stopped', { cause: this.#feedError });
      await new Promise<void>((resolve) => this.#index.appended.on(resolve));
    }
  }

  /** Brings the index up to the stream as it is now (other processes' appends and deletes). */
  async #catchUp(): Promise<number> {
    this.#assertOpen();
    const { firstSeq, lastStored, lastSeq } = await streamState(this.#jsm, this.#options.stream);
    await this.#seen(lastStored);
    // Sequences after the last stored one were deleted: the next append expects the stream's last.
    this.#index.lastSeq = Math.max(this.#index.lastSeq, lastSeq);
    return this.#index.dropBelow(firstSeq).length;
  }

  append(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    try {
      this.#assertOpen();
      const prepared = prepareAppend(inputs, options);
      const run = this.#appending.then(() =>
        this.#append(prepared.events, prepared.stream, prepared.expectedVersion),
      );
      this.#appending = run.catch(() => undefined);
      return run;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async #append(
    events: readonly HeraldEvent[],
    stream: string | undefined,
    expected: Parameters<typeof checkExpectedVersion>[1],
  ): Promise<Appended[]> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      this.#assertOpen();
      const fresh = new Map<string, HeraldEvent>();
      for (const event of events)
        if (this.#index.byId(event.id) === undefined && !fresh.has(event.id)) fresh.set(event.id, event);
      if (fresh.size > 0) {
        const version = stream === undefined ? 0 : this.#index.streamVersion(stream);
        if (stream !== undefined) checkExpectedVersion(stream, expected, version);
        const base = this.#index.lastSeq;
        // Pipelined: each message expects the one before it, so another writer cutting in fails
        // the rest of the batch, which is then taken back whole.
        const acks = await Promise.allSettled(
          [...fresh.values()].map((event, i) =>
            this.#js.publish(
              `${this.#options.subjectPrefix}.${event.type}`,
              encoder.encode(JSON.stringify(event)),
              {
                msgID: event.id,
                expect: { lastSequence: base + i },
                headers: eventHeaders(stream, stream === undefined ? undefined : version + i + 1),
              },
            ),
          ),
        );
        const stored = acks.flatMap((a) => (a.status === 'fulfilled' && !a.value.duplicate ? [a.value] : []));
        if (stored.length < fresh.size) {
          await this.#rollback(stored, acks);
          continue;
        }
        await this.#seen(stored[stored.length - 1]!.seq);
      }
      return this.#index.results(events, new Set(fresh.keys()));
    }
    throw new HeraldError('CONCURRENCY_CONFLICT', `append lost ${MAX_ATTEMPTS} races with other writers`);
  }

  /** Deletes what a cut-in batch stored, catches up, and rethrows anything but a lost race. */
  async #rollback(stored: readonly PubAck[], acks: readonly PromiseSettledResult<PubAck>[]): Promise<void> {
    for (const ack of stored) await this.#jsm.streams.deleteMessage(this.#options.stream, ack.seq, false);
    this.#index.remove((e) => stored.some((a) => a.seq === e.position));
    const failure = acks.find((a) => a.status === 'rejected');
    const code = (failure?.reason as { code?: unknown } | undefined)?.code;
    if (failure !== undefined && code !== WRONG_LAST_SEQUENCE) throw failure.reason;
    await this.#catchUp();
  }

  read(options?: ReadOptions): AsyncIterable<StoredEvent> {
    this.#assertOpen();
    const filter = readFilter(options);
    return this.#read(filter);
  }

  async *#read(filter: ReadFilter): AsyncGenerator<StoredEvent, void, undefined> {
    await this.#catchUp();
    yield* this.#index.read(filter, this.#index.lastSeq, () => this.#assertOpen());
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    await this.#catchUp();
    return this.#index.byId(id);
  }

  subscribe(options: LogSubscribeOptions = {}): LogSubscription {
    this.#assertOpen();
    return indexSubscription(this.#index, options);
  }

  group(name: string, options?: GroupOptions): Promise<ConsumerGroup> {
    return this.#groups.open(name, options);
  }

  groups(): Promise<string[]> {
    return this.#groups.names();
  }

  async streamVersion(stream: string): Promise<number> {
    checkName('stream', stream);
    await this.#catchUp();
    return this.#index.streamVersion(stream);
  }

  async truncateStream(stream: string, beforeVersion: number): Promise<number> {
    checkName('stream', stream);
    checkInteger('beforeVersion', beforeVersion, 0);
    await this.#catchUp();
    return this.#delete(this.#index.streamEvents(stream).filter((e) => (e.version ?? 0) < beforeVersion));
  }

  async deleteStream(stream: string): Promise<number> {
    checkName('stream', stream);
    await this.#catchUp();
    return this.#delete(this.#index.streamEvents(stream));
  }

  /** Deletes these events' messages (JetStream keeps the sequence: positions are never reused). */
  async #delete(events: readonly StoredEvent[]): Promise<number> {
    await deleteMessages(
      this.#jsm,
      this.#options.stream,
      events.map((e) => e.position),
    );
    const gone = new Set(events);
    return this.#index.remove((e) => gone.has(e)).length;
  }

  async applyRetention(): Promise<number> {
    let removed = await this.#catchUp();
    const { maxAgeMs, maxEvents } = this.#options;
    if (maxAgeMs !== undefined)
      removed += await this.#delete(this.#index.recordedBefore(Date.now() - maxAgeMs));
    if (maxEvents !== undefined && this.#index.events.length > maxEvents) {
      const excess = this.#index.events.length - maxEvents;
      removed += await this.#delete(Array.from({ length: excess }, (_, i) => this.#index.events.at(i)!));
    }
    return removed;
  }

  async bounds(): Promise<{ first: number; last: number }> {
    await this.#catchUp();
    return { first: this.#index.events.at(0)?.position ?? 0, last: this.#index.events.last()?.position ?? 0 };
  }

  async close(): Promise<void> {
    if (this.#index.closed) return;
    await this.#index.closeAll();
    await this.#feed?.close();
    if (this.#ownsConnection) await this.#nc.close();
  }
}
