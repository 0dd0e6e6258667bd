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

  constructor(prefix: string) {
    this.prefix = prefix;
    this.meta = `${prefix}:meta`;
    this.events = `${prefix}:events`;
    this.ids = `${prefix}:ids`;
    this.groups = `${prefix}:groups`;
    this.streamPrefix = `${prefix}:s:`;
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
