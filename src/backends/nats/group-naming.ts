import type { ResolvedGroupOptions } from '../../log/group-options.js';

/**
 * Where one consumer group lives in JetStream: its durable pull consumer on the log's stream,
 * and, in the log's dead-letter stream (`<stream>_DLQ`), its dead letters and its redrive queue
 * with the durable consumer that delivers redriven events. Internal.
 */
export interface GroupPlace {
  readonly name: string;
  /** The log's JetStream stream. */
  readonly stream: string;
  /** The durable consumer of the group on `stream`. */
  readonly durable: string;
  /** The dead-letter stream of the log. */
  readonly dlqStream: string;
  /** The subject of this group's dead letters in `dlqStream`. */
  readonly dlqSubject: string;
  /** The subject of this group's redriven events in `dlqStream`. */
  readonly redriveSubject: string;
  /** The durable consumer on `dlqStream` that delivers `redriveSubject`. */
  readonly redriveDurable: string;
  /**
   * Where this group records deliveries that never reached a member, one message per delivery
   * on `<unreachedSubject>.<position>` in `dlqStream`, so they do not count toward
   * `maxDeliveries` in any process.
   */
  readonly unreachedSubject: string;
  /**
   * The core NATS subject (no stream stores it) on which each process tells the others which
   * events of this group it saw acked just before its connection dropped (see `AckEcho`).
   */
  readonly ackEchoSubject: string;
}

const GROUP_PREFIX = 'g_';
const REDRIVE_PREFIX = 'r_';

/**
 * The dead-letter stream of a log's stream, and the subjects it captures. Internal.
 *
 * @example
 * ```ts
 * dlqStreamOf('HERALD'); // { name: 'HERALD_DLQ', subjects: '_HERALD.HERALD.>' }
 * ```
 */
export function dlqStreamOf(stream: string): { name: string; subjects: string } {
  return { name: `${stream}_DLQ`, subjects: `_HERALD.${stream}.>` };
}

/**
 * The JetStream names of group `name` of the log on `stream`. A group name may hold any
 * character, so it is base64url-encoded into consumer names and subject tokens. Internal.
 *
 * @example
 * ```ts
 * groupPlace('HERALD', 'mailer').durable; // 'g_bWFpbGVy'
 * ```
 */
export function groupPlace(stream: string, name: string): GroupPlace {
  const token = Buffer.from(name, 'utf8').toString('base64url');
  const dlq = dlqStreamOf(stream);
  return {
    name,
    stream,
    durable: `${GROUP_PREFIX}${token}`,
    dlqStream: dlq.name,
    dlqSubject: `_HERALD.${stream}.dlq.${token}`,
    redriveSubject: `_HERALD.${stream}.redrive.${token}`,
    redriveDurable: `${REDRIVE_PREFIX}${token}`,
    unreachedSubject: `_HERALD.${stream}.unreached.${token}`,
    // Outside `_HERALD.<stream>.>`, which the dead-letter stream stores.
    ackEchoSubject: `_HERALD_ACKED.${stream}.${token}`,
  };
}

/**
 * The group name of a consumer of the log's stream, or undefined for a consumer that is not a
 * group's (the log's own ordered consumer). Internal.
 *
 * @example
 * ```ts
 * groupNameOf('g_bWFpbGVy'); // 'mailer'
 * ```
 */
export function groupNameOf(durable: string): string | undefined {
  if (!durable.startsWith(GROUP_PREFIX)) return undefined;
  return Buffer.from(durable.slice(GROUP_PREFIX.length), 'base64url').toString('utf8');
}

/** What a group's consumer description holds: its options and the first position it takes. */
export interface GroupRecord {
  readonly options: ResolvedGroupOptions;
  readonly start: number;
}

/**
 * The consumer description of a group (JSON; nats-server 2.9 has no consumer metadata), and
 * back. Internal.
 *
 * @example
 * ```ts
 * parseRecord(recordText({ options, start: 1 })).start; // 1
 * ```
 */
export function recordText(record: GroupRecord): string {
  return JSON.stringify(record);
}

/** See `recordText`. */
export function parseRecord(text: string | undefined): GroupRecord | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as GroupRecord;
  } catch {
    return undefined;
  }
}
