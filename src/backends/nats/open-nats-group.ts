import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { resolveGroupOptions, type ResolvedGroupOptions } from '../../log/group-options.js';
import type { GroupOptions, LogPosition } from '../../log/types.js';
import { dlqStreamOf, parseRecord, recordText, type GroupPlace, type GroupRecord } from './group-naming.js';

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

/**
 * Creates the log's dead-letter stream (`<stream>_DLQ`, file storage) when missing. Internal.
 *
 * @example
 * ```ts
 * await ensureDeadLetterStream(jsm, 'HERALD');
 * ```
 */
export async function ensureDeadLetterStream(jsm: JetStreamManager, stream: string): Promise<void> {
  const dlq = dlqStreamOf(stream);
  try {
    await jsm.streams.info(dlq.name);
  } catch (err) {
    if ((err as { code?: unknown }).code !== STREAM_NOT_FOUND) throw err;
    await jsm.streams
      .add({
        name: dlq.name,
        subjects: [dlq.subjects],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
      })
      .catch(async (e: unknown) => {
        await jsm.streams.info(dlq.name).catch(() => Promise.reject(e)); // another process made it
      });
  }
}

async function consumerInfo(jsm: JetStreamManager, stream: string, durable: string) {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if ((err as { code?: unknown }).code === CONSUMER_NOT_FOUND) return undefined;
    throw err;
  }
}

/**
 * The updatable server-side settings of the group consumer: no MaxDeliver, since deliveries that
 * never reached a member do not count toward `maxDeliveries` and JetStream cannot tell them; the
 * client dead-letters the event (see `NatsGroup`).
 */
function groupLimits(options: ResolvedGroupOptions): Partial<ConsumerConfig> {
  return { ack_wait: nanos(options.ackWaitMs), max_deliver: -1 };
}

/** The updatable server-side settings of the redrive consumer. */
function redriveLimits(options: ResolvedGroupOptions): Partial<ConsumerConfig> {
  // One delivery more than maxDeliveries: the client dead-letters the event on that one (the
  // server would only drop it with an advisory).
  return { ack_wait: nanos(options.ackWaitMs), max_deliver: options.maxDeliveries + 1 };
}

function startConfig(startAt: LogPosition): Partial<ConsumerConfig> {
  if (startAt === 'start') return { deliver_policy: DeliverPolicy.All };
  if (startAt === 'end') return { deliver_policy: DeliverPolicy.New };
  if (startAt instanceof Date)
    return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: startAt.toISOString() };
  return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, startAt) };
}

/** The server filter: one pattern is JetStream's own filter, several filter in the client. */
function filterSubject(prefix: string, types: readonly string[]): string {
  return types.length === 1 ? `${prefix}.${types[0]}` : `${prefix}.>`;
}

/** What `openNatsGroup` needs to know of the log. */
export interface GroupOpenContext {
  readonly jsm: JetStreamManager;
  readonly subjectPrefix: string;
  /** The first position a new group starting at `startAt` takes. */
  startPosition(startAt: LogPosition): number;
}

/**
 * Opens a group: creates its durable pull consumer (options in its description) and its redrive
 * consumer, or applies the options given to the existing ones (new types change the consumer's
 * server filter too, so events of the new types are delivered). Returns the group's record and,
 * when the types changed, the consumer's info from before the change.
 *
 * @example
 * ```ts
 * const record = await openNatsGroup(ctx, groupPlace('HERALD', 'mailer'), { types: ['order.>'] }, 'end');
 * ```
 */
export async function openNatsGroup(
  ctx: GroupOpenContext,
  place: GroupPlace,
  options: Omit<GroupOptions, 'startAt'>,
  startAt: LogPosition,
): Promise<{ record: GroupRecord; typesChangedFrom?: ConsumerInfo }> {
  const { jsm } = ctx;
  let typesChangedFrom: ConsumerInfo | undefined;
  await ensureDeadLetterStream(jsm, place.stream);
  let info: ConsumerInfo | undefined = await consumerInfo(jsm, place.stream, place.durable);
  let record = parseRecord(info?.config.description);
  if (info === undefined || record === undefined) {
    const resolved = resolveGroupOptions(options);
    record = { options: resolved, start: ctx.startPosition(startAt) };
    const config: Partial<ConsumerConfig> = {
      durable_name: place.durable,
      ack_policy: AckPolicy.Explicit,
      replay_policy: ReplayPolicy.Instant,
      filter_subject: filterSubject(ctx.subjectPrefix, resolved.types),
      max_ack_pending: -1,
      description: recordText(record),
      ...startConfig(startAt),
      ...groupLimits(resolved),
    };
    try {
      info = await jsm.consumers.add(place.stream, config);
    } catch (err) {
      info = await consumerInfo(jsm, place.stream, place.durable); // another member created it
      if (info === undefined) throw err;
    }
    record = parseRecord(info.config.description) ?? record;
  } else if (
    Object.values(options as Record<string, unknown>).some((value) => value !== undefined) ||
    info.config.max_deliver !== -1 // made by an older Herald, with MaxDeliver = maxDeliveries + 1
  ) {
    const before = record.options.types;
    record = { options: resolveGroupOptions(options, record.options), start: record.start };
    const changed = JSON.stringify(record.options.types) !== JSON.stringify(before);
    // Several patterns filter in the client too, by the current types; redeliveries of events the
    // new filter does not take still come (the server does not check them again) and are acked
    // there, never handed out.
    await jsm.consumers.update(place.stream, place.durable, {
      description: recordText(record),
      ...(changed ? { filter_subject: filterSubject(ctx.subjectPrefix, record.options.types) } : {}),
      ...groupLimits(record.options),
    });
    if (changed) typesChangedFrom = info;
  }
  await ensureRedriveConsumer(jsm, place, record.options);
  return { record, typesChangedFrom };
}

async function ensureRedriveConsumer(
  jsm: JetStreamManager,
  place: GroupPlace,
  options: ResolvedGroupOptions,
): Promise<void> {
  const info = await consumerInfo(jsm, place.dlqStream, place.redriveDurable);
  if (info === undefined) {
    await jsm.consumers
      .add(place.dlqStream, {
        durable_name: place.redriveDurable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: place.redriveSubject,
        max_ack_pending: -1,
        ...redriveLimits(options),
      })
      .catch(async (err: unknown) => {
        if ((await consumerInfo(jsm, place.dlqStream, place.redriveDurable)) === undefined) throw err;
      });
  } else if (
    info.config.ack_wait !== nanos(options.ackWaitMs) ||
    info.config.max_deliver !== options.maxDeliveries + 1
  )
    await jsm.consumers.update(place.dlqStream, place.redriveDurable, redriveLimits(options));
}
