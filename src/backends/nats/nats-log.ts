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
import { randomUUID } from 'node:crypto';
import { HeraldError } from '../../errors/index.js';
import type { HeraldEvent } from '../../event/types.js';
import { checkExpectedVersion } from '../../log/expected-version.js';
import { checkInteger, checkName } from '../../log/invalid-option.js';
import { checkDuplicates } from '../../log/duplicate-check.js';
import { prepareAppend } from '../../log/prepare-append.js';
import { readFilter, type ReadFilter } from '../../log/read-filter.js';
import { Scheduling } from '../../log/kit/schedule.js';
import type {
  Scheduled,
  ScheduledEvent,
  ScheduleOptions,
  ScheduledPageOptions,
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
import { AppendBatcher, type AppendRequest } from '../../log/append-batcher.js';
import { AppendLandings } from './append-landings.js';
import { BatchAssembler } from './batch-assembler.js';
import { NATS_CAPABILITIES } from './capabilities.js';
import { EventIndex } from './event-index.js';
import { indexSubscription } from './index-subscription.js';
import { APPEND_HEADER, batchOf, decodeEvent, eventHeaders } from './message-codec.js';
import { NatsGroups } from './nats-groups.js';
import { unreachable } from './nats-errors.js';
import { Publisher, type PublishOptions } from './publisher.js';
import { resolveNatsOptions, type NatsLogOptions, type ResolvedNatsOptions } from './options.js';
import { NatsScheduleStore } from './schedule-store.js';
import { ScheduleSubjects } from './schedule-codec.js';
import { deleteMessages, ensureScheduleStream, ensureStream, streamState } from './stream-setup.js';

const WRONG_LAST_SEQUENCE = 10071;
const WRONG_LAST_MSG_ID = 10070;
const MAX_ATTEMPTS = 100;
/** How long a publish waits for JetStream's ack (as `js.publish`'s default). */
const PUBLISH_TIMEOUT_MS = 5_000;
/** Events one round publishes at most (a larger batch goes alone). */
const MAX_ROUND = 1_000;
/** Events waiting for a round at most; past it callers wait for room (nothing is dropped). */
const MAX_QUEUED = 100_000;
/**
 * How long a call waits for the feed to hand over what the server stored (an append's own
 * events, or the stream's last message) before it fails with `LOG_UNREACHABLE`.
 */
const FEED_WAIT_MS = 5_000;
/**
 * Until how long after the call an append whose ack was lost waits for the connection to come
 * back (to find out what the server stored, and go on) rather than fail with `LOG_UNREACHABLE`.
 * An ack that timed out (5 s) is past it: that append fails at once, as before.
 */
const LOST_ACK_WAIT_MS = 3_000;
/**
 * Every append answers within this long from the call: after a lost ack and the catch-up, an
 * append goes again only if its publish (up to `PUBLISH_TIMEOUT_MS`) still fits; otherwise it
 * fails with `LOG_UNREACHABLE` (3 s for the reconnect + 5 s of catch-up + 5 s of publish could
 * take 13 s).
 */
const APPEND_BUDGET_MS = 10_000;
/** A wait that saw no progress for this long, while connected, starts the feed again. */
const FEED_STALL_MS = 1_000;
/**
 * The feed's pull requests expire after this long, and JetStream sends heartbeats at half of it:
 * the client notices a lost pull within two missed heartbeats (the default, 30 s, took about 40 s
 * after a server restart).
 */
const FEED_EXPIRES_MS = 5_000;

/**
 * Connects, trying again every 250 ms for up to `timeoutMs` (a log opened while nats-server is
 * starting waits for it), then `LOG_UNREACHABLE`. The connection reconnects for as long as the
 * log is open.
 */
async function connectWithin(servers: string | string[], timeoutMs: number): Promise<NatsConnection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connect({
        servers,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Each request would otherwise build two Error objects with stack traces up front (half
        // the CPU of a busy append path, measured); Herald wraps the errors in its own anyway.
        noAsyncTraces: true,
        timeout: Math.max(1, Math.min(2_000, deadline - Date.now())),
      });
    } catch (err) {
      if (Date.now() + 250 >= deadline)
        throw new HeraldError('LOG_UNREACHABLE', `cannot reach NATS at ${String(servers)}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A caller's batch in a round: its events not stored yet, and its stream's version before them. */
interface Planned {
  readonly request: AppendRequest;
  readonly fresh: HeraldEvent[];
  readonly version: number;
}

/**
 * A caller with one new event outside any stream: where it lands depends on nothing else in the
 * log, so it is published with no expectation (see `#publish`).
 */
function isFree(p: Planned): boolean {
  return p.fresh.length === 1 && p.request.prepared.stream === undefined;
}
const encoder = new TextEncoder();

/**
 * A publish whose ack did not come (the connection dropped: the watcher failed it; or no answer in
 * time): the server may have stored the message.
 */
function isLostAck(reason: unknown): boolean {
  if (reason instanceof HeraldError) return reason.code === 'LOG_UNREACHABLE';
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

/** The log behind `natsLog`. Internal: obtained through `natsLog()`. */
export class NatsLog implements EventLog {
  readonly capabilities = NATS_CAPABILITIES;
  readonly #nc: NatsConnection;
  readonly #ownsConnection: boolean;
  readonly #js: JetStreamClient;
  /** The appends' publishes, their acks on one inbox subscription. */
  readonly #publisher: Publisher;
  readonly #jsm: JetStreamManager;
  readonly #options: ResolvedNatsOptions;
  readonly #index = new EventIndex();
  readonly #groups: NatsGroups;
  #feed: ConsumerMessages | undefined;
  #feedError: unknown;
  /** Which feed is current: a feed started again makes the older one's messages stale. */
  #feedGeneration = 0;
  /** A start of the feed under way (one at a time). */
  #restarting: Promise<void> | undefined;
  /** The highest sequence the feed handed over, visible or not: the next append expects it. */
  #received = 0;
  /** Which messages are visible: batches only when stored whole (see BatchAssembler). */
  readonly #batches = new BatchAssembler(
    (events) => {
      for (const event of events) this.#index.add(event);
    },
    (seq) => this.#index.decide(seq),
  );
  /** False between a disconnect and the reconnect: appends are refused, not buffered by the client. */
  #connected = true;
  /** Resolved at the next reconnect (made by a call waiting for one). */
  #reconnected: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Where each append call's own messages landed: its retry after a lost ack is no duplicate. */
  readonly #landings = new AppendLandings<AppendRequest>();
  /** Concurrent appends of this process share rounds; a batch's sequences stay consecutive. */
  readonly #batcher = new AppendBatcher((requests) => this.#round(requests), MAX_ROUND, MAX_QUEUED);
  /** Scheduled events, kept in `<stream>_SCHED`; the mover starts once the log is open. */
  readonly #scheduleStore: NatsScheduleStore;
  #scheduling!: Scheduling;

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
    this.#publisher = new Publisher(nc, PUBLISH_TIMEOUT_MS);
    this.#options = options;
    this.#scheduleStore = new NatsScheduleStore({
      nc,
      js: this.#js,
      jsm,
      stream: `${options.stream}_SCHED`,
      bucketStream: `${options.stream}_SCHED_BUCKETS`,
      subjectPrefix: options.subjectPrefix,
      connected: () => this.#connected,
      // Made by the first schedule: a log that never schedules adds no streams.
      ensureStreams: async () => {
        const subjects = new ScheduleSubjects(options.subjectPrefix);
        await ensureScheduleStream(jsm, `${options.stream}_SCHED`, subjects.captured);
        await ensureScheduleStream(jsm, `${options.stream}_SCHED_BUCKETS`, subjects.bucketsCaptured);
      },
    });
    this.#groups = new NatsGroups({
      nc,
      js: this.#js,
      jsm,
      stream: options.stream,
      subjectPrefix: options.subjectPrefix,
      assertOpen: () => this.#assertOpen(),
      eventAt: (position) =>
        this.#index.lastSeq >= position
          ? this.#index.events.find(position)
          : this.#seen(position).then(() => this.#index.events.find(position)),
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
    const nc = options.connection ?? (await connectWithin(options.servers!, resolved.connectTimeoutMs));
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, resolved);
      const log = new NatsLog(nc, owns, jsm, resolved);
      log.#watchConnection();
      await log.#startFeed();
      await log.#catchUp();
      log.#scheduling = new Scheduling(log.#scheduleStore, (events, o) => log.append(events, o), {
        ...options.scheduler,
      });
      return log;
    } catch (err) {
      if (owns) await nc.close();
      throw err;
    }
  }

  #watchConnection(): void {
    void (async () => {
      for await (const s of this.#nc.status()) {
        if (s.type === 'disconnect' || s.type === 'close') {
          this.#connected = false;
          if (s.type === 'close') this.#reconnected?.resolve(); // it never comes back
          // Acks of what was in flight will not come back on this connection: answer now, so
          // the appends and acks behind them do not wait out the 5 s timeout.
          const lost = (what: string): HeraldError =>
            new HeraldError(
              'LOG_UNREACHABLE',
              `NATS disconnected before confirming the ${what}; it may or may not have taken effect`,
            );
          this.#publisher.failWaiting(lost('append'));
          this.#scheduleStore.failWaiting(lost('schedule'));
          this.#groups.failWaiting(lost('ack'));
          this.#groups.disconnected();
        } else if (s.type === 'reconnect') {
          this.#connected = true;
          this.#reconnected?.resolve();
          this.#reconnected = undefined;
          this.#groups.reconnected();
          // The server may have lost the feed's pull (a restart does): start it again now rather
          // than wait for the client to notice missed heartbeats.
          this.#restartFeed();
        }
      }
    })().catch(() => undefined);
  }

  /**
   * One ordered consumer over the whole stream feeds the index, in sequence order, no polling. It
   * starts after the last sequence handed over, so a feed started again neither skips nor repeats.
   */
  async #startFeed(): Promise<void> {
    const generation = ++this.#feedGeneration;
    const from = this.#received + 1;
    const consumer = await this.#js.consumers.get(this.#options.stream, {
      filter_subjects: `${this.#options.subjectPrefix}.>`,
      ...(from > 1
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const messages = await consumer.consume({ expires: FEED_EXPIRES_MS });
    if (generation !== this.#feedGeneration || this.#index.closed) {
      void messages.close().catch(() => undefined);
      return;
    }
    const previous = this.#feed;
    this.#feed = messages;
    this.#feedError = undefined;
    if (previous !== undefined) void previous.close().catch(() => undefined);
    void (async () => {
      try {
        for await (const m of messages) {
          if (generation !== this.#feedGeneration) break;
          if (m.seq <= this.#received) continue; // handed over by the feed before this one
          const timeMs = m.info.timestampNanos / 1e6;
          const event = decodeEvent({ seq: m.seq, headers: m.headers, data: m.data, timeMs });
          this.#received = m.seq;
          if (this.#landings.active) this.#landings.landed(m.headers?.get(APPEND_HEADER), event.id, m.seq);
          this.#batches.push({ event, batch: batchOf(m.headers), timeMs });
        }
      } catch (err) {
        if (generation !== this.#feedGeneration) return;
        this.#feedError = err;
        this.#index.appended.notify();
      }
    })();
  }

  /** Starts the feed again (once at a time; a failed start is tried again by the next stall). */
  #restartFeed(): void {
    if (this.#restarting !== undefined || this.#index.closed) return;
    this.#restarting = this.#startFeed()
      .catch((err: unknown) => {
        this.#feedError ??= err;
      })
      .finally(() => {
        this.#restarting = undefined;
        this.#index.appended.notify();
      });
  }

  #assertOpen(): void {
    if (this.#index.closed) throw new HeraldError('LOG_CLOSED', 'the NATS log is closed');
  }

  /** Waits until the index has decided on sequence `seq`: visible or not (woken by the feed). */
  async #seen(seq: number): Promise<void> {
    await this.#waitFor(() => this.#index.lastSeq >= seq);
  }

  /**
   * Waits until `done()`, woken by the feed. A feed that stopped or made no progress for
   * `FEED_STALL_MS` while connected is started again; past `FEED_WAIT_MS`, `LOG_UNREACHABLE`
   * (what the server stored stays stored: the feed hands it over once it runs again).
   */
  async #waitFor(done: () => boolean): Promise<void> {
    if (done()) return;
    const deadline = Date.now() + FEED_WAIT_MS;
    let stallAt = Date.now() + FEED_STALL_MS;
    while (!done()) {
      this.#assertOpen();
      const now = Date.now();
      if (now >= deadline) {
        throw new HeraldError(
          'LOG_UNREACHABLE',
          `the JetStream feed did not catch up within ${FEED_WAIT_MS} ms` +
            (this.#connected ? '' : ' (NATS is disconnected)'),
          { cause: this.#feedError },
        );
      }
      if (this.#connected && (this.#feedError !== undefined || now >= stallAt)) {
        this.#restartFeed();
        stallAt = now + FEED_STALL_MS;
      }
      let timer: NodeJS.Timeout | undefined;
      const woken = await new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(1, Math.min(deadline, stallAt) - now));
        this.#index.appended.on(() => resolve(true));
      });
      clearTimeout(timer);
      if (woken) stallAt = Date.now() + FEED_STALL_MS;
    }
  }

  /** Brings the index up to the stream as it is now (other processes' appends and deletes). */
  async #catchUp(): Promise<number> {
    this.#assertOpen();
    const { firstSeq, lastStored, lastSeq } = await streamState(this.#jsm, this.#options.stream).catch(
      (err: unknown) => Promise.reject(unreachable(err)),
    );
    // Every stored message received; part of a batch may still wait for the rest (not visible yet).
    await this.#waitFor(() => this.#received >= lastStored);
    // Sequences after the last stored one were deleted: the next append expects the stream's last.
    this.#received = Math.max(this.#received, lastSeq);
    if (!this.#batches.holding) this.#index.decide(lastSeq);
    return this.#index.dropBelow(firstSeq).length;
  }

  append(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    try {
      this.#assertOpen();
      const prepared = prepareAppend(inputs, options);
      return this.#batcher
        .submit(prepared)
        .then((appended) => checkDuplicates(prepared.events, appended, (id) => this.get(id)));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * One round: the batches of every caller waiting, published as one pipelined run (the first
   * message expects the stream's last sequence, each next one the message before it). Each
   * caller's expected version is checked against the index plus the batches before it in the
   * run. When another writer cuts in, callers whose messages all landed before the cut are done;
   * the others go again on the new state (what of theirs landed is never visible, and deleted).
   * When acks are lost (see `#afterLostAcks`), everyone goes again with the same `Nats-Msg-Id`s.
   */
  async #round(requests: AppendRequest[]): Promise<void> {
    try {
      await this.#attempts(requests);
    } finally {
      for (const request of requests) this.#landings.forget(request);
    }
  }

  async #attempts(requests: AppendRequest[]): Promise<void> {
    let waiting = requests;
    // The `Nats-Msg-Id` suffix: a new one after a cut-in, the same after lost acks.
    let generation = 0;
    for (let attempt = 0; waiting.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        const error = new HeraldError(
          'CONCURRENCY_CONFLICT',
          `append lost ${MAX_ATTEMPTS} races with other writers`,
        );
        for (const request of waiting) request.reject(error);
        return;
      }
      try {
        this.#assertOpen();
        if (!this.#connected || this.#nc.isClosed())
          throw new HeraldError('LOG_UNREACHABLE', 'NATS is disconnected: the append was not sent');
      } catch (err) {
        for (const request of waiting) request.reject(err);
        return;
      }
      const { planned, deferred } = this.#plan(waiting);
      const { again, lost } = await this.#publish(planned, generation);
      if (!lost) generation++;
      waiting = [...again, ...deferred];
    }
  }

  /** Which events of which callers go out, with their stream versions; refused callers settle. */
  #plan(requests: readonly AppendRequest[]): { planned: Planned[]; deferred: AppendRequest[] } {
    const versions = new Map<string, number>();
    const inRun = new Set<string>();
    const planned: Planned[] = [];
    const deferred: AppendRequest[] = [];
    for (const request of requests) {
      const { events, stream, expectedVersion } = request.prepared;
      // Repeats an id an earlier caller of this run stores: it goes after, on what that stored.
      if (events.some((e) => inRun.has(e.id))) {
        deferred.push(request);
        continue;
      }
      const fresh = new Map<string, HeraldEvent>();
      for (const event of events)
        if (this.#index.byId(event.id) === undefined && !fresh.has(event.id)) fresh.set(event.id, event);
      const version = stream === undefined ? 0 : (versions.get(stream) ?? this.#index.streamVersion(stream));
      if (fresh.size > 0 && stream !== undefined) {
        try {
          checkExpectedVersion(stream, expectedVersion, version);
        } catch (err) {
          request.reject(err);
          continue;
        }
        versions.set(stream, version + fresh.size);
      }
      for (const id of fresh.keys()) inRun.add(id);
      planned.push({ request, fresh: [...fresh.values()], version });
    }
    return { planned, deferred };
  }

  /**
   * Publishes a planned run; settles the callers it stored and returns those to retry. Callers
   * with one new event outside any stream ("free": nothing about them depends on what else is in
   * the log) go out after the chained run with no expectation, each landing wherever JetStream
   * puts it; the others form the chained run (first message expects the stream's last sequence,
   * each next one the message before it), so what of it lands is a prefix. A retry publishes with
   * a `Nats-Msg-Id` of `<id>#<attempt>`: the deleted first attempt's id is still in JetStream's
   * duplicate window. Every message carries its caller's `Herald-Append` token. `lost` says that
   * acks were lost (see `#afterLostAcks`): then every caller goes again.
   */
  async #publish(
    planned: readonly Planned[],
    attempt: number,
  ): Promise<{ again: AppendRequest[]; lost: boolean }> {
    const base = Math.max(this.#received, this.#index.lastSeq);
    const chained = planned.filter((p) => !isFree(p));
    const free = planned.filter(isFree);
    const send = (event: HeraldEvent, options: Omit<PublishOptions, 'msgID'>): Promise<PubAck> =>
      this.#publisher.publish(
        `${this.#options.subjectPrefix}.${event.type}`,
        encoder.encode(JSON.stringify(event)),
        { msgID: attempt === 0 ? event.id : `${event.id}#${attempt}`, ...options },
      );
    const sends: Promise<PubAck>[] = [];
    let previous: string | undefined;
    for (const { request, fresh, version } of chained) {
      const stream = request.prepared.stream;
      const batchId = fresh.length > 1 ? randomUUID() : undefined;
      fresh.forEach((event, i) => {
        const batch = batchId === undefined ? undefined : { id: batchId, index: i + 1, size: fresh.length };
        sends.push(
          send(event, {
            // The first expects the stream's last sequence, each next one the message before
            // it: once one fails, every later one fails too (what landed is a prefix).
            ...(previous === undefined ? { lastSequence: base } : { lastMsgID: previous }),
            headers: eventHeaders(
              this.#landings.token(request),
              stream,
              stream === undefined ? undefined : version + i + 1,
              batch,
            ),
          }),
        );
        previous = attempt === 0 ? event.id : `${event.id}#${attempt}`;
      });
    }
    // After the chained run on the same connection, so they never cut into it.
    const freeSends = free.map((p) =>
      send(p.fresh[0]!, { headers: eventHeaders(this.#landings.token(p.request), undefined, undefined) }),
    );
    const [acks, freeAcks] = await Promise.all([Promise.allSettled(sends), Promise.allSettled(freeSends)]);
    if ([...acks, ...freeAcks].some((a) => a.status === 'rejected' && isLostAck(a.reason)))
      return { again: await this.#afterLostAcks(planned), lost: true };
    // The first message that did not land as expected: a cut-in, a duplicate or a failure.
    let cut = acks.findIndex(
      (a, i) => a.status === 'rejected' || a.value.duplicate || a.value.seq !== base + i + 1,
    );
    if (cut < 0) cut = acks.length;
    const done: Planned[] = [];
    const retry: Planned[] = [];
    let offset = 0;
    for (const p of chained) {
      (offset + p.fresh.length <= cut ? done : retry).push(p);
      offset += p.fresh.length;
    }
    // A free caller is done once stored; a duplicate goes again (the next plan finds the event
    // in the index, or JetStream's window remembers an id whose message is gone); a failure fails.
    let lastFree = 0;
    const freeDone: Planned[] = [];
    const freeRetry: Planned[] = [];
    freeAcks.forEach((a, i) => {
      const p = free[i]!;
      if (a.status === 'rejected') p.request.reject(unreachable(a.reason));
      else if (a.value.duplicate) freeRetry.push(p);
      else {
        freeDone.push(p);
        lastFree = Math.max(lastFree, a.value.seq);
      }
    });
    // Where the first retried caller's messages start: everything stored from there is taken back.
    const messagesOf = (ps: readonly Planned[]): number => ps.reduce((n, p) => n + p.fresh.length, 0);
    let firstRetried = messagesOf(done);
    const seen = Math.max(firstRetried > 0 ? base + firstRetried : 0, lastFree);
    if (seen > 0) {
      try {
        await this.#seen(seen);
      } catch (err) {
        for (const p of [...done, ...freeDone, ...retry, ...freeRetry]) p.request.reject(err);
        return { again: [], lost: false };
      }
    }
    // A batch whose messages were stored more than BATCH_SPAN_MS apart is not visible: its caller
    // goes again, with every chained caller after it (free callers are single events: always visible).
    const invisible = done.findIndex((p) => p.fresh.some((e) => this.#index.byId(e.id) === undefined));
    if (invisible >= 0) {
      retry.unshift(...done.splice(invisible));
      firstRetried = messagesOf(done);
    }
    if (firstRetried < acks.length) {
      // Not visible to any reader (a batch cut short); deleted so the stream does not keep it.
      const undo = acks
        .slice(firstRetried)
        .flatMap((a) => (a.status === 'fulfilled' && !a.value.duplicate ? [a.value.seq] : []));
      await deleteMessages(this.#jsm, this.#options.stream, undo);
    }
    for (const { request, fresh } of [...done, ...freeDone])
      request.resolve(this.#index.results(request.prepared.events, this.#storedBy(request, fresh)));
    if (retry.length === 0 && freeRetry.length === 0) return { again: [], lost: false };
    const failure = acks.slice(firstRetried).find((a) => a.status === 'rejected');
    const code = (failure?.reason as { code?: unknown } | undefined)?.code;
    if (failure !== undefined && code !== WRONG_LAST_SEQUENCE && code !== WRONG_LAST_MSG_ID) {
      const error = unreachable(failure.reason);
      for (const p of retry) p.request.reject(error);
      retry.length = 0;
      if (freeRetry.length === 0) return { again: [], lost: false };
    }
    try {
      await this.#catchUp();
    } catch (err) {
      for (const p of [...retry, ...freeRetry]) p.request.reject(err);
      return { again: [], lost: false };
    }
    return { again: [...retry, ...freeRetry].map((p) => p.request), lost: false };
  }

  /**
   * The ids of `request` it stored: those this attempt published (`fresh`), and those an earlier
   * attempt whose ack was lost stored (found where its own message landed).
   */
  #storedBy(request: AppendRequest, fresh: readonly HeraldEvent[]): Set<string> {
    const ids = new Set(fresh.map((e) => e.id));
    const { events } = request.prepared;
    if (ids.size === events.length) return ids;
    for (const { id } of events)
      if (this.#landings.own(request, id, this.#index.byId(id)?.position)) ids.add(id);
    return ids;
  }

  /**
   * Some acks were lost (the connection dropped, or JetStream did not answer in time): what of
   * the run the server stored is unknown. Once connected again the feed catches up, and each
   * caller's own messages are found by their `Herald-Append` token: stored where the event is,
   * they are the caller's (reported as stored by it, not as duplicates of themselves); landed but
   * not visible (a batch cut short), they are deleted. Every caller goes again, with the same
   * `Nats-Msg-Id`s, so JetStream drops a message of theirs that lands late. Past
   * `LOST_ACK_WAIT_MS` from the earliest call, or when a new publish would end past
   * `APPEND_BUDGET_MS` from it, they fail with `LOG_UNREACHABLE`.
   */
  async #afterLostAcks(planned: readonly Planned[]): Promise<AppendRequest[]> {
    const requests = planned.map((p) => p.request);
    const since = Math.min(...requests.map((r) => r.submittedAt));
    const deadline = since + LOST_ACK_WAIT_MS;
    try {
      if (Date.now() >= deadline) throw new HeraldError('LOG_UNREACHABLE', 'no ack in time');
      await this.#untilConnected(deadline);
      await this.#catchUp();
      if (Date.now() + PUBLISH_TIMEOUT_MS > since + APPEND_BUDGET_MS)
        throw new HeraldError(
          'LOG_UNREACHABLE',
          `no time left to publish again within ${APPEND_BUDGET_MS} ms`,
        );
    } catch (err) {
      const error = new HeraldError(
        'LOG_UNREACHABLE',
        'NATS did not confirm the append; it may or may not be stored: appending the same events again stores them once',
        { cause: err },
      );
      for (const request of requests) request.reject(error);
      return [];
    }
    const stored = (id: string): number | undefined => this.#index.byId(id)?.position;
    const strays = requests.flatMap((request) => this.#landings.strays(request, stored));
    await deleteMessages(this.#jsm, this.#options.stream, strays);
    return requests;
  }

  /** Waits until the connection is back (woken by the reconnect); past `deadline`, LOG_UNREACHABLE. */
  async #untilConnected(deadline: number): Promise<void> {
    while (!this.#connected) {
      this.#assertOpen();
      const left = deadline - Date.now();
      if (this.#nc.isClosed() || left <= 0)
        throw new HeraldError('LOG_UNREACHABLE', 'NATS did not reconnect in time');
      if (this.#reconnected === undefined) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.#reconnected = { promise, resolve };
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#reconnected.promise, new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
    }
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

  async schedule(events: readonly AppendInput[], options: ScheduleOptions): Promise<Scheduled[]> {
    this.#assertOpen();
    return this.#scheduling.schedule(events, options);
  }

  async cancelScheduled(id: string): Promise<boolean> {
    this.#assertOpen();
    return this.#scheduling.cancelScheduled(id);
  }

  async scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]> {
    this.#assertOpen();
    return this.#scheduling.scheduled(options);
  }

  async close(): Promise<void> {
    if (this.#index.closed) return;
    await this.#scheduling.close();
    this.#scheduleStore.close(new HeraldError('LOG_CLOSED', 'the NATS log is closed'));
    await this.#batcher.close();
    this.#publisher.close(new HeraldError('LOG_CLOSED', 'the NATS log is closed'));
    this.#groups.close(new HeraldError('LOG_CLOSED', 'the NATS log is closed'));
    this.#batches.close();
    await this.#index.closeAll();
    this.#feedGeneration++;
    await this.#feed?.close();
    if (this.#ownsConnection) await this.#nc.close();
  }
}
