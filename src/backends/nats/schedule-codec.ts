import type { HeraldEvent } from '../../event/types.js';

/** How long a bucket is: entries due in the same minute share one. */
export const BUCKET_MS = 60_000;

/** The subjects of a log's schedule stream (`<stream>_SCHED`), all under `<subjectPrefix>_sched`. Internal. */
export class ScheduleSubjects {
  readonly root: string;

  constructor(subjectPrefix: string) {
    this.root = `${subjectPrefix}_sched`;
  }

  /** What the schedule stream captures (the wake-up subject stays outside it). */
  get captured(): string[] {
    return [`${this.root}.e.>`, `${this.root}.d.>`];
  }

  /**
   * What the bucket stream captures: the markers, apart, so that finding them (stream info with
   * `subjects_filter`, which costs in proportion to the stream's subjects) stays cheap.
   */
  get bucketsCaptured(): string[] {
    return [`${this.root}.m.>`];
  }

  /** An id's decisions: its reservation, then `taken` or `cancelled` (each expecting the one before). */
  state(id: string): string {
    return `${this.root}.e.${Buffer.from(id, 'utf8').toString('base64url')}`;
  }

  /**
   * A bucket: the entry messages and commits of the adds due in this minute. One literal subject:
   * JetStream 2.9 counts a wildcard filter's messages by scanning every subject of the stream
   * (4 s for a consumer at 1,000,000 pending), a literal one from its index (10 ms).
   */
  bucket(minute: number): string {
    return `${this.root}.d.${minute}`;
  }

  /** A bucket that may hold batches: the mover finds the unfinished ones by these. */
  marker(minute: number): string {
    return `${this.root}.m.${minute}`;
  }

  get markers(): string {
    return `${this.root}.m.*`;
  }

  /** Core NATS (not stored): an add tells the movers `<minute> <batch>`. */
  get wake(): string {
    return `${this.root}.wake`;
  }

  /** The minute of a bucket subject. */
  minuteOf(subject: string): number {
    return Number(subject.slice(subject.lastIndexOf('.') + 1));
  }
}

/** The bucket of a due time. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS);
}

/** A message on an id's state subject. */
export type StateMessage =
  /** Reserved by batch `b` (committed once its batch's commit is stored), due `d`, bucket `m`. */
  | { k: 'r'; b: string; m: number; d: number }
  /** Taken by a mover until `u` (its lease). */
  | { k: 't'; b: string; m: number; d: number; u: number }
  /** Cancelled: never appended. */
  | { k: 'c'; b: string; m: number; d: number };

/** A message of a bucket: one entry of batch `b` (with the sequence of its reservation), or its commit. */
export type BatchMessage =
  | { k: 'e'; b: string; id: string; d: number; s?: string; ev: HeraldEvent; r: number }
  | { k: 'commit'; b: string; n: number };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(value: StateMessage | BatchMessage): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decode(data: Uint8Array): StateMessage | BatchMessage {
  return JSON.parse(decoder.decode(data)) as StateMessage | BatchMessage;
}
