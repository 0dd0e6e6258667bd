import type { ScheduleEntry } from '../../log/kit/schedule.js';
import { BUCKET_MS, minuteOf, type BatchMessage } from './schedule-codec.js';
import type { ScheduleJetStream } from './schedule-jetstream.js';
import type { ReadBatchMessage } from './schedule-reader.js';

/** Loaded buckets and the list of buckets are read again at least this often (lost wake-ups). */
export const REFRESH_MS = 5_000;
/** A finished bucket is removed this many minutes after its own (no add can still commit into it). */
const CLEAN_AFTER_MINUTES = 2;

/** A pending entry of a loaded bucket; `seq` is the last known message on its state subject. */
export interface Pending extends ScheduleEntry {
  readonly batchId: string;
  /** The sequence of its reservation. */
  readonly reservation: number;
  seq: number;
  /** Taken (by anyone) until then. */
  until?: number;
}

interface Loaded {
  /** The highest sequence read of this bucket. */
  to: number;
  stale: boolean;
  /** When the last read started (0: never read). */
  readAt: number;
  /** A read under way (one at a time per bucket). */
  reading?: Promise<void>;
}

export function byDue(a: ScheduleEntry, b: { dueAt: number; id: string }): number {
  return a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function pendingOf(message: Extract<BatchMessage, { k: 'e' }>): Pending {
  return {
    id: message.id,
    dueAt: message.d,
    event: message.ev,
    stream: message.s,
    batchId: message.b,
    reservation: message.r,
    seq: message.r,
  };
}

/**
 * What a mover holds in memory: the entries of the buckets due by the end of the next minute
 * (every earlier bucket still marked, too), read from JetStream and read again when an add
 * wakes it (or every `REFRESH_MS`). Finished buckets are removed from the stream. Internal.
 */
export class LoadedBuckets {
  readonly #js: ScheduleJetStream;
  /** Buckets with a marker, ascending. */
  minutes: number[] = [];
  #minutesAt = -Infinity;
  #minutesStale = true;
  readonly #loaded = new Map<number, Loaded>();
  /** Pending entries, by batch and id (an id may be in two batches: one of them is dead). */
  readonly entries = new Map<string, Pending>();
  /** Ids of each loaded batch still pending. */
  readonly #batches = new Map<string, { minute: number; ids: Set<string> }>();
  /** Entries read of batches whose commit was not read yet. */
  readonly #uncommitted = new Map<string, { minute: number; entries: Pending[] }>();
  #refreshing: Promise<void> | undefined;

  constructor(js: ScheduleJetStream) {
    this.#js = js;
  }

  /** A batch was committed into `minute` (or may have been): read it again before the next claim. */
  stale(minute?: number): void {
    const loaded = minute === undefined ? undefined : this.#loaded.get(minute);
    if (loaded !== undefined) loaded.stale = true;
    else this.#minutesStale = true;
    if (minute === undefined) for (const l of this.#loaded.values()) l.stale = true;
  }

  /** Whether some batch was read without its commit (an add in progress). */
  get waiting(): boolean {
    return this.#uncommitted.size > 0;
  }

  /** The bucket list, fresh (for `list`). */
  async readMinutes(): Promise<number[]> {
    this.minutes = await this.#js.minutes();
    this.#minutesAt = Date.now();
    this.#minutesStale = false;
    return this.minutes;
  }

  /** Loads the buckets due by the end of the next minute, reads new batches, cleans finished buckets. */
  refresh(now: number): Promise<void> {
    this.#refreshing ??= this.#refresh(now).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(now: number): Promise<void> {
    if (this.#minutesStale || now - this.#minutesAt >= REFRESH_MS) await this.readMinutes();
    const current = minuteOf(now);
    for (const minute of this.minutes) {
      if (minute > current + 1) break;
      let loaded = this.#loaded.get(minute);
      if (loaded === undefined) this.#loaded.set(minute, (loaded = { to: 0, stale: true, readAt: 0 }));
      const due = loaded.stale || now - loaded.readAt >= REFRESH_MS;
      if (minute <= current) {
        if (due || loaded.reading !== undefined) await this.#read(minute, loaded);
      } else if (due && loaded.reading === undefined) {
        // The next minute's bucket is read ahead, without holding up claims: a first read walks
        // the stream from the bucket's oldest message (about 0.4 s at 1,000,000 pending).
        void this.#read(minute, loaded).catch(() => undefined);
      }
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
      await this.#js.purge(this.#js.subjects.bucket(minute));
      await this.#js.unmark(minute);
      this.minutes = this.minutes.filter((m) => m !== minute);
    }
  }

  /** Whether a bucket was read at least once. */
  isLoaded(minute: number): boolean {
    return (this.#loaded.get(minute)?.readAt ?? 0) > 0;
  }

  /** Reads what a bucket took since the last read (a read under way is joined). */
  #read(minute: number, loaded: Loaded): Promise<void> {
    loaded.reading ??= (async () => {
      loaded.stale = false;
      const startedAt = Date.now();
      try {
        const read = await this.#js.read(this.#js.subjects.bucket(minute), loaded.to + 1);
        for (const m of read) loaded.to = Math.max(loaded.to, m.seq);
        this.#take(read);
        loaded.readAt = startedAt;
      } catch (error) {
        loaded.stale = true;
        throw error;
      }
    })().finally(() => {
      loaded.reading = undefined;
    });
    return loaded.reading;
  }

  /** Batch messages read: the entries of committed batches become pending. */
  #take(read: readonly ReadBatchMessage[]): void {
    for (const { subject, message } of read) {
      const minute = this.#js.subjects.minuteOf(subject);
      const batchId = message.b;
      if (message.k === 'e') {
        const batch = this.#uncommitted.get(batchId) ?? { minute, entries: [] };
        batch.entries.push(pendingOf(message));
        this.#uncommitted.set(batchId, batch);
        continue;
      }
      const entries = this.#uncommitted.get(batchId)?.entries ?? [];
      this.#uncommitted.delete(batchId);
      if (this.#batches.has(batchId) || entries.length === 0) continue;
      this.#batches.set(batchId, { minute, ids: new Set(entries.map((p) => p.id)) });
      // An id in two batches: at most one holds its state; a claim finds out which.
      for (const p of entries) this.entries.set(`${batchId} ${p.id}`, p);
    }
  }

  /** Drops a done or dead entry (its messages go with its bucket). */
  forget(p: Pending): void {
    this.entries.delete(`${p.batchId} ${p.id}`);
    const batch = this.#batches.get(p.batchId);
    if (batch === undefined) return;
    batch.ids.delete(p.id);
    if (batch.ids.size === 0) this.#batches.delete(p.batchId);
  }
}
