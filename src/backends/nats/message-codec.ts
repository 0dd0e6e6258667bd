import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { isoAt } from '../../log/stored-json.js';
import type { StoredEvent } from '../../log/types.js';

/** Headers that say where an event was stored; plain subscribers may ignore them. */
export const STREAM_HEADER = 'Herald-Stream';
export const VERSION_HEADER = 'Herald-Version';
/** `<batch id> <index>/<size>` on each message of a batch of more than one event. */
export const BATCH_HEADER = 'Herald-Batch';
/**
 * Which `append` call published the message (a token unique to the call): when JetStream's ack
 * is lost, the log tells an event its call stored from the same id stored by anyone else.
 */
export const APPEND_HEADER = 'Herald-Append';

/** Where a message sits in the batch its append stored. */
export interface BatchMark {
  readonly id: string;
  /** 1-based. */
  readonly index: number;
  readonly size: number;
}

/**
 * The headers of one event's JetStream message (`Nats-Msg-Id` is set by the publish option):
 * the append call that published it, where it was stored, and its place in a batch of more than
 * one event. Internal.
 *
 * @example
 * ```ts
 * eventHeaders('k3x9q2ab.1f', 'order-o-1', 3, { id: 'b1', index: 1, size: 2 });
 * ```
 */
export function eventHeaders(
  append: string,
  stream: string | undefined,
  version: number | undefined,
  batch?: BatchMark,
): MsgHdrs {
  const h = headers();
  h.set(APPEND_HEADER, append);
  if (stream !== undefined) {
    h.set(STREAM_HEADER, stream);
    h.set(VERSION_HEADER, String(version));
  }
  if (batch !== undefined) h.set(BATCH_HEADER, `${batch.id} ${batch.index}/${batch.size}`);
  return h;
}

/**
 * The batch mark of a message, if it has one. Internal.
 *
 * @example
 * ```ts
 * batchOf(m.headers); // { id: 'b1', index: 1, size: 2 }
 * ```
 */
export function batchOf(h: MsgHdrs | undefined): BatchMark | undefined {
  const text = h?.get(BATCH_HEADER);
  if (text === undefined || text === '') return undefined;
  const match = /^(\S+) (\d+)\/(\d+)$/.exec(text);
  if (match === null) return undefined;
  return { id: match[1]!, index: Number(match[2]), size: Number(match[3]) };
}

/** What the codec needs of a JetStream message (a `JsMsg` or a `StoredMsg`). */
export interface StoredMessage {
  readonly seq: number;
  readonly headers?: MsgHdrs | undefined;
  readonly data: Uint8Array;
  /** JetStream's own receive time: the log's clock for `recordedat` and `max_age`. */
  readonly timeMs: number;
}

const decoder = new TextDecoder();

/**
 * The stored event a message holds: the CloudEvent JSON payload, the position is the JetStream
 * sequence, `recordedat` the server's timestamp. Internal.
 *
 * @example
 * ```ts
 * const event = decodeEvent({ seq: m.seq, headers: m.headers, data: m.data, timeMs: m.info.timestampNanos / 1e6 });
 * ```
 */
export function decodeEvent(message: StoredMessage): StoredEvent {
  // The parsed object is the stored event: its fields are set in place rather than copied.
  const event = JSON.parse(decoder.decode(message.data)) as Record<string, unknown>;
  const stream = message.headers?.get(STREAM_HEADER);
  if (stream !== undefined && stream !== '') {
    event['stream'] = stream;
    event['version'] = Number(message.headers!.get(VERSION_HEADER));
  }
  event['position'] = message.seq;
  event['recordedat'] = isoAt(Math.floor(message.timeMs));
  return Object.freeze(event) as StoredEvent;
}
