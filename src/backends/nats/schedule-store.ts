import { headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { HeraldError } from '../../errors/index.js';
import type { ScheduleCursor, ScheduleEntry, ScheduleStore } from '../../log/kit/schedule.js';
import { orUnreachable, unreachable } from './nats-errors.js';
import { Publisher } from './publisher.js';
import {
  BUCKET_MS,
  decode,
  encode,
  minuteOf,
  ScheduleSubjects,
  type BatchMessage,
  type StateMessage,
} from './schedule-codec.js';
import { readFiltered, type ReadBatchMessage } from './schedule-reader.js';

const WRONG_LAST_SEQUENCE = 10071;
/** An add stores its commit within this long of its start, or not at all (then it fails). */
const COMMIT_BY_MS = 10_000;
/** A reservation whose batch has no commit this long after it was stored is abandoned: a new add takes it over. */
const ABANDONED_MS = 15_000;
/** Loaded buckets and the list of buckets are read again at least this often (lost wake-ups). */
const REFRESH_MS = 5_000;
/** A finished bucket is removed this many minutes after its own (no add can still commit into it). */
const CLEAN_AFTER_MINUTES = 2;
const PUBLISH_TIMEOUT_MS = 5_000;

/** What the store needs of its log. */
export interface NatsScheduleDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The schedule stream, `<stream>_SCHED`. */
  readonly stream: string;
  readonly subjectPrefix: string;
  /** False while NATS is disconnected: adds fail at once. */
  readonly connected: () => boolean;
}

/** A pending entry of a loaded bucket; `seq` is the last known message on its state subject. */
interface Pending extends ScheduleEntry {
  readonly batchId: string;
  seq: number;
  /** Taken (by anyone) until then. */
  until?: number;
}

interface Loaded {
  /** The highest sequence read of this bucket. */
  to: number;
  stale: boolean;
  readAt: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isWrongLast(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === WRONG_LAST_SEQUENCE;
}

function byDue(a: ScheduleEntry, b: ScheduleEntry): number {
  return a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function entryOf(p: Pending): ScheduleEntry {
  return { id: p.id, dueAt: p.dueAt, event: p.event, stream: p.stream };
}

/**
 * The NATS log's `ScheduleStore`, kept in JetStream (stream `<stream>_SCHED`): see docs/nats.md,
 * "Scheduled delivery". Each id has a state subject whose messages are its reservation, then
 * `taken` or `cancelled`, each published expecting the one before (first wins: claim against
 * cancel is atomic); an add's entries and, last, its commit are messages of one batch subject in
 * the bucket of their due minute. This process holds only the buckets due within the next minute.
 * Internal.
 */
export class NatsScheduleStore implements ScheduleStore {
  readonly #deps: NatsScheduleDeps;
  readonly #subjects: ScheduleSubjects;
  readonly #publisher: Publisher;
  readonly #wakeSub: Subscription;
  readonly #listeners = new Set<() => void>();
  /** Buckets with a marker (may hold batches), ascending. */
  #minutes: number[] = [];
  #minutesAt = -Infinity;
  #minutesStale = true;
  /** Markers this process stored (not stored again). */
  readonly #marked = new Set<number>();
  readonly #loaded = new Map<number, Loaded>();
  /** Pending entries of loaded buckets, by batch and id (an id may be in two batches: one is dead). */
  readonly #entries = new Map<string, Pending>();
  /** Entries this process took, by id, until `complete`. */
  readonly #claimed = new Map<string, Pending>();
  /** Ids of each loaded batch still pending. */
  readonly #batches = new Map<string, { minute: number; ids: Set<string> }>();
  /** Entries read of batches whose commit was not read yet. */
  readonly #uncommitted = new Map<string, { minute: number; entries: Pending[] }>();
  /** One refresh at a time. */
  #refreshing: Promise<void> | undefined;

  constructor(deps: NatsScheduleDeps) {
    this.#deps = deps;
    this.#subjects = new ScheduleSubjects(deps.subjectPrefix);
    this.#publisher = new Publisher(deps.nc, PUBLISH_TIMEOUT_MS);
    this.#wakeSub = deps.nc.subscribe(this.#subjects.wake, {
      callback: (_error, m) => {
        const minute = Number(m.string().split(' ')[0]);
        const loaded = this.#loaded.get(minute);
        if (loaded !== undefined) loaded.stale = true;
        else this.#minutesStale = true;
        for (const listener of this.#listeners) listener();
      },
    });
  }

  /** The connection dropped: publishes waiting for acks fail now. */
  failWaiting(error: unknown): void {
    this.#publisher.failWaiting(error);
    this.#minutesStale = true;
    for (const loaded of this.#loaded.values()) loaded.stale = true;
  }

  close(error: unknown): void {
    this.#wakeSub.unsubscribe();
    this.#publisher.close(error);
  }

  watch(listener: () => void): () => void {
    const wrapped = (): void => listener();
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  async add(entries: readonly ScheduleEntry[]): Promise<(number | undefined)[]> {
    if (!this.#deps.connected())
      throw new HeraldError('LOG_UNREACHABLE', 'NATS is disconnected: nothing was scheduled');
    const start = Date.now();
    const batchId = randomUUID();
    // A past due time goes to the current bucket: a bucket is cleaned only minutes after its own.
    const minute = Math.max(minuteOf(Math.min(...entries.map((e) => e.dueAt))), minuteOf(start));
    const subject = this.#subjects.batch(minute, batchId);
    let won: { entry: ScheduleEntry; seq: number }[] = [];
    try {
      await this.#mark(minute);
      const reserved = await Promise.all(entries.map((e) => this.#reserve(e, batchId, minute, start)));
      won = entries.flatMap((entry, i) => {
        const seq = reserved[i]!.seq;
        return seq === undefined ? [] : [{ entry, seq }];
      });
      if (won.length > 0) {
        await Promise.all(
          won.map(({ entry, seq }) =>
            this.#publish(subject, {
              k: 'e',
              id: entry.id,
              d: entry.dueAt,
              ...(entry.stream === undefined ? {} : { s: entry.stream }),
              ev: entry.event,
              r: seq,
            }),
          ),
        );
        if (Date.now() - start > COMMIT_BY_MS)
          throw new HeraldError('LOG_UNREACHABLE', `NATS took over ${COMMIT_BY_MS} ms to store the entries`);
        await this.#publish(subject, { k: 'commit', n: won.length }, { msgID: batchId });
        this.#woken(minute, batchId);
      }
      return reserved.map((r) => r.pending);
    } catch (error) {
      if (won.length === 0) throw unreachable(error);
      // The commit decides: stored, the add took effect; not stored, its reservations go.
      const last = await this.#last(subject).catch(() => null);
      if (last?.message.k === 'commit') {
        this.#woken(minute, batchId);
        return entries.map(() => undefined); // every entry was reserved by this add
      }
      if (last !== null || Date.now() - start <= ABANDONED_MS) {
        await Promise.all(won.map(({ entry }) => this.#releaseIf(entry.id, batchId))).catch(() => undefined);
      }
      throw unreachable(error);
    }
  }

  async claim(now: number, max: number, leaseMs: number): Promise<ScheduleEntry[]> {
    await this.#refresh(now);
    const due = [...this.#entries.values()]
      .filter((p) => (p.until ?? p.dueAt) <= now)
      .sort(byDue)
      .slice(0, max);
    const until = now + leaseMs;
    const results = await Promise.all(
      due.map(async (p) => {
        try {
          const ack = await this.#publishState(
            p.id,
            { k: 't', b: p.batchId, m: minuteOf(p.dueAt), d: p.dueAt, u: until },
            p.seq,
          );
          p.seq = ack.seq;
          p.until = until;
          this.#claimed.set(p.id, p);
          return p;
        } catch (error) {
          if (!isWrongLast(error)) throw unreachable(error);
          await this.#learn(p);
          return undefined;
        }
      }),
    );
    return results.flatMap((p) => (p === undefined ? [] : [entryOf(p)]));
  }

  async complete(ids: readonly string[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        await orUnreachable(
          this.#deps.jsm.streams.purge(this.#deps.stream, { filter: this.#subjects.state(id) }),
        );
        const p = this.#claimed.get(id);
        this.#claimed.delete(id);
        if (p !== undefined) await this.#forget(p);
      }),
    );
  }

  async cancel(id: string): Promise<boolean> {
    for (;;) {
      const state = await this.#state(id);
      if (state === undefined || state.message.k !== 'r') return false;
      const { b, m } = state.message;
      // A reservation without a commit: an add in progress (cancelled with it) or abandoned.
      if (!(await this.#committed(m, b)) && Date.now() - state.time >= ABANDONED_MS) return false;
      try {
        await this.#publishState(id, { ...state.message, k: 'c' }, state.seq);
      } catch (error) {
        if (isWrongLast(error)) continue;
        throw unreachable(error);
      }
      await this.#deps.jsm.streams
        .purge(this.#deps.stream, { filter: this.#subjects.state(id) })
        .catch(() => undefined);
      return true;
    }
  }

  async list(limit: number, after: ScheduleCursor | undefined): Promise<ScheduleEntry[]> {
    await this.#readMinutes();
    const now = Date.now();
    const current = minuteOf(now);
    // Buckets up to the current minute may hold entries due any time before it: read as one.
    const groups: number[][] = [this.#minutes.filter((m) => m <= current)];
    for (const m of this.#minutes) if (m > current) groups.push([m]);
    const out: ScheduleEntry[] = [];
    for (const group of groups) {
      if (group.length === 0) continue;
      const last = group[group.length - 1]!;
      if (after !== undefined && last > current && (last + 1) * BUCKET_MS <= after.dueAt) continue;
      const read: ReadBatchMessage[] = [];
      for (const m of group) read.push(...(await this.#read(this.#subjects.bucket(m), 1)));
      const candidates = committedEntries(read, this.#subjects)
        .filter((p) => after === undefined || byDue(p, { ...after, event: p.event, stream: undefined }) > 0)
        .sort(byDue);
      for (let i = 0; i < candidates.length && out.length < limit; i += 100) {
        const chunk = candidates.slice(i, i + 100);
        const live = await Promise.all(chunk.map((p) => this.#live(p)));
        for (let j = 0; j < chunk.length && out.length < limit; j++)
          if (live[j]) out.push(entryOf(chunk[j]!));
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  async nextDue(): Promise<number | undefined> {
    const now = Date.now();
    await this.#refresh(now);
    let next = Infinity;
    for (const p of this.#entries.values()) next = Math.min(next, p.until ?? p.dueAt);
    if (next < Infinity) return next;
    const later = this.#minutes.find((m) => m > minuteOf(now) + 1);
    if (later !== undefined) return (later - 1) * BUCKET_MS;
    return this.#uncommitted.size > 0 ? now + REFRESH_MS : undefined;
  }

  // --- reading and writing JetStream

  #publish(
    subject: string,
    message: StateMessage | BatchMessage,
    options: { msgID?: string; lastSubjectSeq?: number } = {},
  ): Promise<PubAck> {
    const h = headers();
    if (options.lastSubjectSeq !== undefined)
      h.set('Nats-Expected-Last-Subject-Sequence', String(options.lastSubjectSeq));
    return this.#publisher.publish(subject, encode(message), {
      msgID: options.msgID ?? randomUUID(),
      headers: h,
    });
  }

  /** Publishes on an id's state subject if its last message is `expected` (0: none). */
  #publishState(id: string, message: StateMessage, expected: number): Promise<PubAck> {
    return this.#publish(this.#subjects.state(id), message, { lastSubjectSeq: expected });
  }

  async #last(
    subject: string,
  ): Promise<{ seq: number; time: number; message: StateMessage | BatchMessage } | null> {
    const m = await orUnreachable(
      this.#deps.jsm.streams.getMessage(this.#deps.stream, { last_by_subj: subject }),
    );
    return m === null ? null : { seq: m.seq, time: m.time.getTime(), message: decode(m.data) };
  }

  async #state(id: string): Promise<{ seq: number; time: number; message: StateMessage } | undefined> {
    const last = await this.#last(this.#subjects.state(id));
    return last === null ? undefined : (last as { seq: number; time: number; message: StateMessage });
  }

  async #committed(minute: number, batchId: string): Promise<boolean> {
    return (await this.#last(this.#subjects.batch(minute, batchId)))?.message.k === 'commit';
  }

  #read(filter: string, from: number): Promise<ReadBatchMessage[]> {
    return orUnreachable(readFiltered(this.#deps.js, this.#deps.jsm, this.#deps.stream, filter, from));
  }

  async #mark(minute: number): Promise<void> {
    if (this.#marked.has(minute)) return;
    await this.#publish(this.#subjects.marker(minute), { k: 'commit', n: 0 }, { msgID: `m.${minute}` });
    for (const m of this.#marked) if (m < minuteOf(Date.now()) - 1) this.#marked.delete(m);
    this.#marked.add(minute);
  }

  /** Tells every mover (this one too) of a committed batch. */
  #woken(minute: number, batchId: string): void {
    const loaded = this.#loaded.get(minute);
    if (loaded !== undefined) loaded.stale = true;
    else this.#minutesStale = true;
    try {
      this.#deps.nc.publish(this.#subjects.wake, `${minute} ${batchId}`);
    } catch {
      // Movers find the batch within REFRESH_MS anyway.
    }
  }

  /**
   * Reserves `entry.id` for this batch: `{ seq }` of the reservation, or `{ pending }` with the
   * due time of the id's pending entry. An abandoned reservation (no commit long after) or a
   * cancelled one is taken over; one of an add still in progress is waited for.
   */
  async #reserve(
    entry: ScheduleEntry,
    batchId: string,
    minute: number,
    start: number,
  ): Promise<{ seq?: number; pending?: number }> {
    let expected = 0;
    for (;;) {
      try {
        const ack = await this.#publishState(
          entry.id,
          { k: 'r', b: batchId, m: minute, d: entry.dueAt },
          expected,
        );
        return { seq: ack.seq };
      } catch (error) {
        if (!isWrongLast(error)) throw error;
      }
      const state = await this.#state(entry.id);
      if (state === undefined) expected = 0;
      else if (state.message.k === 'c') expected = state.seq;
      else if (state.message.k === 't') return { pending: state.message.d };
      else if (await this.#committed(state.message.m, state.message.b)) return { pending: state.message.d };
      else if (Date.now() - state.time >= ABANDONED_MS) expected = state.seq;
      else if (Date.now() - start > COMMIT_BY_MS)
        throw new HeraldError('LOG_UNREACHABLE', `another schedule of id ${entry.id} did not finish in time`);
      else await sleep(50);
    }
  }

  /** Removes an id's state if it is still this batch's reservation. */
  async #releaseIf(id: string, batchId: string): Promise<void> {
    const state = await this.#state(id);
    if (state?.message.k === 'r' && state.message.b === batchId)
      await this.#deps.jsm.streams.purge(this.#deps.stream, { filter: this.#subjects.state(id) });
  }

  /** Whether a committed entry is still pending: its id's state is its reservation, or taken for it. */
  async #live(p: Pending): Promise<boolean> {
    const state = await this.#state(p.id);
    return state !== undefined && state.message.b === p.batchId && state.message.k !== 'c';
  }

  /** A claim found another message on the state subject: what it says. */
  async #learn(p: Pending): Promise<void> {
    const state = await this.#state(p.id);
    if (state === undefined || state.message.b !== p.batchId || state.message.k === 'c') {
      await this.#forget(p);
      return;
    }
    p.seq = state.seq;
    if (state.message.k === 't') p.until = state.message.u;
  }

  /** Drops a done or dead entry; its batch, once empty, is purged. */
  async #forget(p: Pending): Promise<void> {
    this.#entries.delete(`${p.batchId} ${p.id}`);
    const batch = this.#batches.get(p.batchId);
    if (batch === undefined) return;
    batch.ids.delete(p.id);
    if (batch.ids.size > 0) return;
    this.#batches.delete(p.batchId);
    await this.#deps.jsm.streams
      .purge(this.#deps.stream, { filter: this.#subjects.batch(batch.minute, p.batchId) })
      .catch(() => undefined);
  }

  // --- the buckets this process holds

  /** The buckets with markers (stream info with `subjects_filter`). */
  async #readMinutes(): Promise<void> {
    const info = await orUnreachable(
      this.#deps.jsm.streams.info(this.#deps.stream, { subjects_filter: this.#subjects.markers }),
    );
    const subjects = Object.keys(info.state.subjects ?? {});
    this.#minutes = subjects.map((s) => Number(s.slice(s.lastIndexOf('.') + 1))).sort((a, b) => a - b);
    this.#minutesAt = Date.now();
    this.#minutesStale = false;
  }

  /** Loads the buckets due by the end of the next minute, reads new batches, cleans finished buckets. */
  #refresh(now: number): Promise<void> {
    this.#refreshing ??= this.#doRefresh(now).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #doRefresh(now: number): Promise<void> {
    if (this.#minutesStale || now - this.#minutesAt >= REFRESH_MS) await this.#readMinutes();
    const horizon = minuteOf(now) + 1;
    for (const minute of this.#minutes) {
      if (minute > horizon) break;
      let loaded = this.#loaded.get(minute);
      if (loaded === undefined) this.#loaded.set(minute, (loaded = { to: 0, stale: true, readAt: 0 }));
      if (!loaded.stale && now - loaded.readAt < REFRESH_MS) continue;
      loaded.stale = false;
      loaded.readAt = now;
      const read = await this.#read(this.#subjects.bucket(minute), loaded.to + 1);
      for (const m of read) loaded.to = Math.max(loaded.to, m.seq);
      this.#take(read);
    }
    // A bucket is finished once read after the last moment an add could commit into it.
    for (const [minute, loaded] of this.#loaded) {
      if (minute > minuteOf(now) - CLEAN_AFTER_MINUTES) continue;
      if (loaded.readAt < (minute + CLEAN_AFTER_MINUTES) * BUCKET_MS) {
        loaded.stale = true;
        continue;
      }
      if ([...this.#batches.values()].some((b) => b.minute === minute)) continue;
      this.#loaded.delete(minute);
      for (const [id, batch] of this.#uncommitted) if (batch.minute === minute) this.#uncommitted.delete(id);
      const { jsm, stream } = this.#deps;
      await orUnreachable(jsm.streams.purge(stream, { filter: `${this.#subjects.root}.d.${minute}.>` }));
      await orUnreachable(jsm.streams.purge(stream, { filter: this.#subjects.marker(minute) }));
      this.#minutes = this.#minutes.filter((m) => m !== minute);
    }
  }

  /** Batch messages read: the entries of committed batches become pending. */
  #take(read: readonly ReadBatchMessage[]): void {
    for (const { subject, message } of read) {
      const { minute, batchId } = this.#subjects.parseBatch(subject);
      if (message.k === 'e') {
        const batch = this.#uncommitted.get(batchId) ?? { minute, entries: [] };
        batch.entries.push(pendingOf(message, batchId));
        this.#uncommitted.set(batchId, batch);
        continue;
      }
      const entries = this.#uncommitted.get(batchId)?.entries ?? [];
      this.#uncommitted.delete(batchId);
      if (this.#batches.has(batchId) || entries.length === 0) continue;
      this.#batches.set(batchId, { minute, ids: new Set(entries.map((p) => p.id)) });
      // An id in two batches: at most one holds its state; a claim finds out which.
      for (const p of entries) this.#entries.set(`${batchId} ${p.id}`, p);
    }
  }
}

function pendingOf(message: Extract<BatchMessage, { k: 'e' }>, batchId: string): Pending {
  return { id: message.id, dueAt: message.d, event: message.ev, stream: message.s, batchId, seq: message.r };
}

/** The entries of the committed batches among these messages. */
function committedEntries(read: readonly ReadBatchMessage[], subjects: ScheduleSubjects): Pending[] {
  const byBatch = new Map<string, { entries: Pending[]; committed: boolean }>();
  for (const { subject, message } of read) {
    const { batchId } = subjects.parseBatch(subject);
    let batch = byBatch.get(batchId);
    if (batch === undefined) byBatch.set(batchId, (batch = { entries: [], committed: false }));
    if (message.k === 'e') batch.entries.push(pendingOf(message, batchId));
    else batch.committed = true;
  }
  return [...byBatch.values()].flatMap((b) => (b.committed ? b.entries : []));
}
