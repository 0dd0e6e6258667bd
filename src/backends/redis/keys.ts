/**
 * Every key of one log, under `<prefix>:`. Kinds are told apart by the whole segment after the
 * prefix (`s`, `g`, `gdue`, ...) and a prefix has no `:`, so no stream or group name (which may
 * hold `:`) can make one key stand for another.
 * See `docs/redis.md` for what each holds.
 *
 * @example
 * ```ts
 * const keys = new LogKeys('herald');
 * keys.events; // 'herald:events'
 * keys.group('mailer').due; // 'herald:gdue:mailer'
 * ```
 */
export class LogKeys {
  readonly prefix: string;
  /** Hash: last (position), recorded (ms), created (ms), lost (position, after a data loss). */
  readonly meta: string;
  /** Stream: one entry per event, id `<position>-0`. */
  readonly events: string;
  /** Hash: event id -> position (dedupe). */
  readonly ids: string;
  /** Set: the names of the consumer groups. */
  readonly groups: string;
  /** Prefix of the per-stream indexes (sorted set: position scored by version). */
  readonly streamPrefix: string;
  /** The schedule store's keys (scheduled delivery). */
  readonly schedule: ScheduleKeys;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.meta = `${prefix}:meta`;
    this.events = `${prefix}:events`;
    this.ids = `${prefix}:ids`;
    this.groups = `${prefix}:groups`;
    this.streamPrefix = `${prefix}:s:`;
    this.schedule = {
      entries: `${prefix}:sched:entries`,
      untaken: `${prefix}:sched:untaken`,
      taken: `${prefix}:sched:taken`,
      pending: `${prefix}:sched:pending`,
      added: `${prefix}:sched:added`,
    };
  }

  /** One schedule store call's own key (see schedule-add.lua): what it did, kept a short while. */
  scheduleCall(token: string): string {
    return `${this.prefix}:sched:call:${token}`;
  }

  /** A round of appends' own key (see append.lua): the positions it wrote, kept a short while. */
  round(token: string): string {
    return `${this.prefix}:round:${token}`;
  }

  stream(name: string): string {
    return this.streamPrefix + name;
  }

  group(name: string): GroupKeys {
    const p = this.prefix;
    return {
      hash: `${p}:g:${name}`,
      due: `${p}:gdue:${name}`,
      counts: `${p}:gcount:${name}`,
      tokens: `${p}:gtoken:${name}`,
      errors: `${p}:gerror:${name}`,
      dead: `${p}:gdead:${name}`,
      deadInfo: `${p}:gdeadinfo:${name}`,
    };
  }
}

/** The keys of one consumer group. */
export interface GroupKeys {
  /**
   * Hash: options (JSON), origin (the position before the group's first event), serial (tokens of
   * due-zset deliveries), claim (XAUTOCLAIM cursor), claimAt (ms before which no lease expires).
   * The group itself is a Redis consumer group of the same name on the events stream.
   */
  readonly hash: string;
  /** Sorted set: position out of the PEL (nacked, redriven) -> when it is due (again) (ms). */
  readonly due: string;
  /** Hash: pending position -> deliveries so far. */
  readonly counts: string;
  /** Hash: pending position -> token of its current delivery. */
  readonly tokens: string;
  /** Hash: pending position -> last error of a nack. */
  readonly errors: string;
  /** Sorted set: dead-lettered positions. */
  readonly dead: string;
  /** Hash: dead-lettered position -> JSON { deliveries, error, at, fields }. */
  readonly deadInfo: string;
}

/** The keys of the schedule store (scheduled delivery; see `docs/redis.md`). */
export interface ScheduleKeys {
  /** Hash: id -> JSON `{ dueAt, event, stream }` of every pending entry. */
  readonly entries: string;
  /** Sorted set: the ids no mover has taken, scored by due time (ms). */
  readonly untaken: string;
  /** Sorted set: the ids a mover has taken, scored by the end of its lease (ms). */
  readonly taken: string;
  /** Sorted set: every pending id (taken or not), scored by due time: `scheduled()` pages it. */
  readonly pending: string;
  /** Pub/sub channel: an entry was added (`<store token> <earliest due ms>`). */
  readonly added: string;
}
