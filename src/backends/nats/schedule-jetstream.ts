import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { HeraldError } from '../../errors/index.js';
import { orUnreachable, unreachable } from './nats-errors.js';
import { Publisher } from './publisher.js';
import {
  decode,
  encode,
  minuteOf,
  ScheduleSubjects,
  type BatchMessage,
  type StateMessage,
} from './schedule-codec.js';
import { readFiltered, type ReadBatchMessage } from './schedule-reader.js';

const PUBLISH_TIMEOUT_MS = 5_000;
export const WRONG_LAST_SEQUENCE = 10071;

/** What the schedule store needs of its log. */
export interface NatsScheduleDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The schedule stream, `<stream>_SCHED`. */
  readonly stream: string;
  /** The bucket markers' stream, `<stream>_SCHED_BUCKETS`. */
  readonly bucketStream: string;
  readonly subjectPrefix: string;
  /** False while NATS is disconnected: adds fail at once. */
  readonly connected: () => boolean;
  /** Creates both streams when missing (called before the first add of this process). */
  readonly ensureStreams: () => Promise<void>;
}

const STREAM_NOT_FOUND = 10059;

/** A failure because the schedule streams do not exist yet (no add was ever made): nothing is pending. */
function notFound(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === STREAM_NOT_FOUND;
}

/** The last message of a subject. */
export interface Last<T> {
  readonly seq: number;
  /** When the server stored it, Unix ms. */
  readonly time: number;
  readonly message: T;
}

/** Whether a publish failed for its expected last (subject) sequence. */
export function isWrongLast(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === WRONG_LAST_SEQUENCE;
}

/**
 * The schedule stream's reads and writes: publishes through one inbox (see `Publisher`), with
 * `Nats-Expected-Last-Subject-Sequence` where asked; last message of a subject; filtered reads;
 * purges. Failures for want of the server are `LOG_UNREACHABLE`. Internal.
 */
export class ScheduleJetStream {
  readonly deps: NatsScheduleDeps;
  readonly subjects: ScheduleSubjects;
  readonly #publisher: Publisher;
  /** Markers this process stored (not stored again). */
  readonly #marked = new Set<number>();
  #ensured: Promise<void> | undefined;

  constructor(deps: NatsScheduleDeps) {
    this.deps = deps;
    this.subjects = new ScheduleSubjects(deps.subjectPrefix);
    this.#publisher = new Publisher(deps.nc, PUBLISH_TIMEOUT_MS);
  }

  failWaiting(error: unknown): void {
    this.#publisher.failWaiting(error);
  }

  close(error: unknown): void {
    this.#publisher.close(error);
  }

  publish(
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
  publishState(id: string, message: StateMessage, expected: number): Promise<PubAck> {
    return this.publish(this.subjects.state(id), message, { lastSubjectSeq: expected });
  }

  /** Creates the streams once per process (again after a failure). */
  ensureStreams(): Promise<void> {
    this.#ensured ??= orUnreachable(this.deps.ensureStreams()).catch((error: unknown) => {
      this.#ensured = undefined;
      throw error;
    });
    return this.#ensured;
  }

  async last(subject: string): Promise<Last<StateMessage | BatchMessage> | null> {
    const m = await orUnreachable(
      this.deps.jsm.streams
        .getMessage(this.deps.stream, { last_by_subj: subject })
        .catch((error: unknown) => (notFound(error) ? null : Promise.reject(error))),
    );
    return m === null ? null : { seq: m.seq, time: m.time.getTime(), message: decode(m.data) };
  }

  /** The last message on an id's state subject. */
  async state(id: string): Promise<Last<StateMessage> | undefined> {
    const last = await this.last(this.subjects.state(id));
    return last === null ? undefined : (last as Last<StateMessage>);
  }

  /**
   * Whether batch `batchId`'s commit is in its bucket: looked for after `from` (a sequence stored
   * before it, e.g. a reservation) up to the messages stored after `untilMs`. Reads only what
   * the bucket took in that window.
   */
  async committed(minute: number, batchId: string, from: number, untilMs: number): Promise<boolean> {
    const read = await this.read(
      this.subjects.bucket(minute),
      from,
      (m) => (m.message.k === 'commit' && m.message.b === batchId) || m.time > untilMs,
    );
    const last = read[read.length - 1]?.message;
    return last?.k === 'commit' && last.b === batchId;
  }

  read(filter: string, from: number, stop?: (m: ReadBatchMessage) => boolean): Promise<ReadBatchMessage[]> {
    return orUnreachable(
      readFiltered(this.deps.js, this.deps.jsm, this.deps.stream, filter, from, stop).catch(
        (error: unknown) => (notFound(error) ? [] : Promise.reject(error)),
      ),
    );
  }

  async purge(filter: string): Promise<void> {
    await orUnreachable(this.deps.jsm.streams.purge(this.deps.stream, { filter }));
  }

  /**
   * Deletes these messages of the schedule stream (one already gone is skipped). Cheaper than a
   * purge by subject on 2.9 at a million subjects (a subject purge looks the subject up in every
   * block: 120 ms each, 500 at once, at 1,000,000 pending).
   */
  async delete(seqs: readonly number[]): Promise<void> {
    await Promise.all(
      seqs.map((seq) =>
        this.deps.jsm.streams.deleteMessage(this.deps.stream, seq, false).catch((error: unknown) => {
          const reason = unreachable(error);
          if (reason instanceof HeraldError && reason.code === 'LOG_UNREACHABLE') throw reason;
          return false; // gone already
        }),
      ),
    );
  }

  /** Removes a finished bucket's marker. */
  async unmark(minute: number): Promise<void> {
    await orUnreachable(
      this.deps.jsm.streams.purge(this.deps.bucketStream, { filter: this.subjects.marker(minute) }),
    );
  }

  /** The buckets with markers, ascending (stream info with `subjects_filter`). */
  async minutes(): Promise<number[]> {
    const info = await orUnreachable(
      this.deps.jsm.streams
        .info(this.deps.bucketStream, { subjects_filter: this.subjects.markers })
        .catch((error: unknown) => (notFound(error) ? undefined : Promise.reject(error))),
    );
    return Object.keys(info?.state.subjects ?? {})
      .map((s) => Number(s.slice(s.lastIndexOf('.') + 1)))
      .sort((a, b) => a - b);
  }

  /** Stores the marker of a bucket (once per process; JetStream drops repeats within its window). */
  async mark(minute: number): Promise<void> {
    if (this.#marked.has(minute)) return;
    await this.publish(this.subjects.marker(minute), { k: 'commit', b: '', n: 0 }, { msgID: `m.${minute}` });
    for (const m of this.#marked) if (m < minuteOf(Date.now()) - 1) this.#marked.delete(m);
    this.#marked.add(minute);
  }

  /** Tells every mover of a committed batch (core NATS: a lost one is made up by their refresh). */
  wake(minute: number, batchId: string): void {
    try {
      this.deps.nc.publish(this.subjects.wake, `${minute} ${batchId}`);
    } catch {
      // Closed or draining: movers find the batch at their next refresh.
    }
  }
}
