import type { Subscription } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { HeraldError } from '../../errors/index.js';
import type { ScheduleCursor, ScheduleEntry, ScheduleStore } from '../../log/kit/schedule.js';
import { unreachable } from './nats-errors.js';
import { byDue, LoadedBuckets, pendingOf, REFRESH_MS, type Pending } from './schedule-buckets.js';
import { BUCKET_MS, minuteOf } from './schedule-codec.js';
import { isWrongLast, ScheduleJetStream, type NatsScheduleDeps } from './schedule-jetstream.js';
import type { ReadBatchMessage } from './schedule-reader.js';

export type { NatsScheduleDeps } from './schedule-jetstream.js';

/** An add stores its commit within this long of its start, or not at all (then it fails). */
const COMMIT_BY_MS = 10_000;
/** A reservation whose batch has no commit this long after it was stored is abandoned: a new add takes it over. */
const ABANDONED_MS = 15_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function entryOf(p: Pending): ScheduleEntry {
  return { id: p.id, dueAt: p.dueAt, event: p.event, stream: p.stream };
}

/**
 * The NATS log's `ScheduleStore`, kept in JetStream (stream `<stream>_SCHED`; see docs/nats.md,
 * "Scheduled delivery"). Each id has a state subject whose messages are its reservation, then
 * `taken` or `cancelled`, each published expecting the one before (first wins: claim against
 * cancel is atomic, and so is the duplicate check). An add's entries and, last, its commit are
 * messages of one batch subject in the bucket of its due minute: an add is all or none. This
 * process holds only the buckets due by the end of the next minute. Internal.
 */
export class NatsScheduleStore implements ScheduleStore {
  readonly #js: ScheduleJetStream;
  readonly #buckets: LoadedBuckets;
  readonly #wakeSub: Subscription;
  readonly #listeners = new Set<() => void>();
  /** Entries this process took, by id, until `complete`. */
  readonly #claimed = new Map<string, Pending>();

  constructor(deps: NatsScheduleDeps) {
    this.#js = new ScheduleJetStream(deps);
    this.#buckets = new LoadedBuckets(this.#js);
    this.#wakeSub = deps.nc.subscribe(this.#js.subjects.wake, {
      callback: (_error, m) => {
        this.#buckets.stale(Number(m.string().split(' ')[0]));
        for (const listener of this.#listeners) listener();
      },
    });
  }

  /** The connection dropped: publishes waiting for acks fail now; what is loaded is read again. */
  failWaiting(error: unknown): void {
    this.#js.failWaiting(error);
    this.#buckets.stale();
  }

  close(error: unknown): void {
    this.#wakeSub.unsubscribe();
    this.#js.close(error);
  }

  watch(listener: () => void): () => void {
    const wrapped = (): void => listener();
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  async add(entries: readonly ScheduleEntry[]): Promise<(number | undefined)[]> {
    if (!this.#js.deps.connected())
      throw new HeraldError('LOG_UNREACHABLE', 'NATS is disconnected: nothing was scheduled');
    const start = Date.now();
    const batchId = randomUUID();
    // A past due time goes to the current bucket: a bucket is cleaned only minutes after its own.
    const minute = Math.max(minuteOf(Math.min(...entries.map((e) => e.dueAt))), minuteOf(start));
    const subject = this.#js.subjects.bucket(minute);
    let won: { entry: ScheduleEntry; seq: number }[] = [];
    try {
      await this.#js.ensureStreams();
      await this.#js.mark(minute);
      const reserved = await Promise.all(entries.map((e) => this.#reserve(e, batchId, minute, start)));
      won = entries.flatMap((entry, i) => {
        const seq = reserved[i]!.seq;
        return seq === undefined ? [] : [{ entry, seq }];
      });
      if (won.length > 0) {
        await Promise.all(
          won.map(({ entry, seq }) =>
            this.#js.publish(subject, {
              k: 'e',
              b: batchId,
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
        await this.#js.publish(subject, { k: 'commit', b: batchId, n: won.length }, { msgID: batchId });
        this.#committed(minute, batchId);
      }
      return reserved.map((r) => r.pending);
    } catch (error) {
      if (won.length === 0) throw unreachable(error);
      // The commit decides: stored, the add took effect; not stored, its reservations go.
      const from = Math.min(...won.map((w) => w.seq));
      const stored = await this.#js.committed(minute, batchId, from, Date.now()).catch(() => false);
      if (stored) {
        this.#committed(minute, batchId);
        return entries.map(() => undefined); // every entry was reserved by this add
      }
      await Promise.all(won.map(({ entry }) => this.#releaseIf(entry.id, batchId))).catch(() => undefined);
      throw unreachable(error);
    }
  }

  async claim(now: number, max: number, leaseMs: number): Promise<ScheduleEntry[]> {
    await this.#buckets.refresh(now);
    const due = [...this.#buckets.entries.values()]
      .filter((p) => (p.until ?? p.dueAt) <= now)
      .sort(byDue)
      .slice(0, max);
    const until = now + leaseMs;
    const results = await Promise.all(
      due.map(async (p) => {
        try {
          const taken = { k: 't', b: p.batchId, m: minuteOf(p.dueAt), d: p.dueAt, u: until } as const;
          p.seq = (await this.#js.publishState(p.id, taken, p.seq)).seq;
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
        const p = this.#claimed.get(id);
        // Its reservation and `taken` (a later `taken` of a mover that took it after the lease
        // is that mover's to delete); without the sequences, the whole subject.
        if (p === undefined) await this.#js.purge(this.#js.subjects.state(id));
        else await this.#js.delete(p.seq === p.reservation ? [p.seq] : [p.reservation, p.seq]);
        this.#claimed.delete(id);
        if (p !== undefined) this.#buckets.forget(p);
      }),
    );
  }

  async cancel(id: string): Promise<boolean> {
    for (;;) {
      const state = await this.#js.state(id);
      if (state === undefined || state.message.k !== 'r') return false;
      const { b, m } = state.message;
      // A reservation without a commit: an add in progress (cancelled with it) or abandoned.
      const abandoned = state.time + ABANDONED_MS;
      if (Date.now() >= abandoned && !(await this.#js.committed(m, b, state.seq, abandoned))) return false;
      try {
        await this.#js.publishState(id, { ...state.message, k: 'c' }, state.seq);
      } catch (error) {
        if (isWrongLast(error)) continue;
        throw unreachable(error);
      }
      await this.#js.purge(this.#js.subjects.state(id)).catch(() => undefined);
      return true;
    }
  }

  async list(limit: number, after: ScheduleCursor | undefined): Promise<ScheduleEntry[]> {
    const minutes = await this.#buckets.readMinutes();
    const current = minuteOf(Date.now());
    // Buckets up to the current minute may hold entries due any time before it: read as one.
    const groups: number[][] = [minutes.filter((m) => m <= current)];
    for (const m of minutes) if (m > current) groups.push([m]);
    const out: ScheduleEntry[] = [];
    for (const group of groups) {
      const last = group[group.length - 1];
      if (last === undefined) continue;
      if (after !== undefined && last > current && (last + 1) * BUCKET_MS <= after.dueAt) continue;
      const read: ReadBatchMessage[] = [];
      for (const m of group) read.push(...(await this.#js.read(this.#js.subjects.bucket(m), 1)));
      const candidates = this.#committedEntries(read)
        .filter((p) => after === undefined || byDue(p, after) > 0)
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
    await this.#buckets.refresh(now);
    let next = Infinity;
    for (const p of this.#buckets.entries.values()) next = Math.min(next, p.until ?? p.dueAt);
    // The first bucket not read yet: due from its minute on; read from the minute before.
    const current = minuteOf(now);
    const unread = this.#buckets.minutes.find((m) => m > current && !this.#buckets.isLoaded(m));
    if (unread !== undefined) next = Math.min(next, (unread > current + 1 ? unread - 1 : unread) * BUCKET_MS);
    if (next < Infinity) return next;
    return this.#buckets.waiting ? now + REFRESH_MS : undefined;
  }

  /** A batch was committed: this mover reads it again, and every other one is woken. */
  #committed(minute: number, batchId: string): void {
    this.#buckets.stale(minute);
    this.#js.wake(minute, batchId);
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
        const reservation = { k: 'r', b: batchId, m: minute, d: entry.dueAt } as const;
        return { seq: (await this.#js.publishState(entry.id, reservation, expected)).seq };
      } catch (error) {
        if (!isWrongLast(error)) throw error;
      }
      const state = await this.#js.state(entry.id);
      if (state === undefined) expected = 0;
      else if (state.message.k === 'c') expected = state.seq;
      else if (state.message.k === 't') return { pending: state.message.d };
      else if (
        await this.#js.committed(state.message.m, state.message.b, state.seq, state.time + ABANDONED_MS)
      )
        return { pending: state.message.d };
      else if (Date.now() - state.time >= ABANDONED_MS) expected = state.seq;
      else if (Date.now() - start > COMMIT_BY_MS)
        throw new HeraldError('LOG_UNREACHABLE', `another schedule of id ${entry.id} did not finish in time`);
      else await sleep(50);
    }
  }

  /** Removes an id's state if it is still this batch's reservation. */
  async #releaseIf(id: string, batchId: string): Promise<void> {
    const state = await this.#js.state(id);
    if (state?.message.k === 'r' && state.message.b === batchId)
      await this.#js.purge(this.#js.subjects.state(id));
  }

  /** Whether a committed entry is still pending: its id's state is its reservation, or taken for it. */
  async #live(p: Pending): Promise<boolean> {
    const state = await this.#js.state(p.id);
    return state !== undefined && state.message.b === p.batchId && state.message.k !== 'c';
  }

  /** A claim found another message on the state subject: what it says. */
  async #learn(p: Pending): Promise<void> {
    const state = await this.#js.state(p.id);
    if (state === undefined || state.message.b !== p.batchId || state.message.k === 'c') {
      this.#buckets.forget(p);
      return;
    }
    p.seq = state.seq;
    if (state.message.k === 't') p.until = state.message.u;
  }

  /** The entries of the committed batches among these messages. */
  #committedEntries(read: readonly ReadBatchMessage[]): Pending[] {
    const byBatch = new Map<string, { entries: Pending[]; committed: boolean }>();
    for (const { message } of read) {
      let batch = byBatch.get(message.b);
      if (batch === undefined) byBatch.set(message.b, (batch = { entries: [], committed: false }));
      if (message.k === 'e') batch.entries.push(pendingOf(message));
      else batch.committed = true;
    }
    return [...byBatch.values()].flatMap((b) => (b.committed ? b.entries : []));
  }
}
