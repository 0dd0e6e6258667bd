import type { StoredEvent } from '../../log/types.js';

/** An entry as XRANGE returns it: `[id, [field, value, ...]]`. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * The position of an entry id (`<position>-0`).
 *
 * @example
 * ```ts
 * entryPosition('42-0'); // 42
 * ```
 */
export function entryPosition(id: string): number {
  return Number.parseInt(id, 10);
}

// The lengths of the entry fields' names (`id` is 2), each its own: see `decodeFields`.
const TYPE_LENGTH = 4;
const EVENT_LENGTH = 5;
const STREAM_LENGTH = 6;
const VERSION_LENGTH = 7;
const RECORDED_LENGTH = 8;

// The events of one append share their `recorded` ms: each is formatted once.
let lastMs = Number.NaN;
let lastIso = '';
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/**
 * A stored event from the fields of its entry (`id`, `type`, `recorded`, `event`, and `stream`,
 * `version` for events of a stream), as strings or as Buffers (an entry read with Buffer
 * replies, see `BufferEntry`), and its position.
 *
 * @example
 * ```ts
 * const event = decodeFields(42, ['id', 'e1', 'type', 'a.b', 'recorded', '1767225600000', 'event', '{...}']);
 * ```
 */
export function decodeFields(position: number, fields: readonly string[] | readonly Buffer[]): StoredEvent {
  let json = '{}';
  let recorded = 0;
  let stream: string | undefined;
  let version: number | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const value = fields[i + 1]!;
    // The fields' names have lengths of their own (id 2, type 4, event 5, stream 6, version 7,
    // recorded 8): a field is known by its name's length, a Buffer's as a string's.
    switch (fields[i]!.length) {
      case EVENT_LENGTH:
        json = String(value);
        break;
      case RECORDED_LENGTH:
        recorded = typeof value === 'string' ? Number(value) : bufferNumber(value);
        break;
      case STREAM_LENGTH:
        stream = String(value);
        break;
      case VERSION_LENGTH:
        version = typeof value === 'string' ? Number(value) : bufferNumber(value);
        break;
    }
  }
  // The parsed object is the stored event: its fields are set in place rather than copied.
  const event = JSON.parse(json) as Record<string, unknown>;
  if (stream !== undefined) {
    event['stream'] = stream;
    event['version'] = version;
  }
  event['position'] = position;
  event['recordedat'] = isoTime(recorded);
  return event as StoredEvent;
}

/**
 * An entry as a command with Buffer replies (`xreadgroupBuffer`) returns it. Group pulls read new
 * entries so: of an entry's fields only `event` is made a string (and `type`, when the group
 * filters), where string replies would convert all of them.
 */
export type BufferEntry = [id: Buffer, fields: Buffer[]];

/**
 * The leading decimal number of a Buffer: an entry id's position (`<position>-0`), or a number
 * field's value.
 *
 * @example
 * ```ts
 * bufferNumber(Buffer.from('42-0')); // 42
 * ```
 */
export function bufferNumber(bytes: Buffer): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) break;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * The `type` field of an entry read with Buffer replies ('' without one).
 *
 * @example
 * ```ts
 * bufferType([Buffer.from('type'), Buffer.from('order.created')]); // 'order.created'
 * ```
 */
export function bufferType(fields: readonly Buffer[]): string {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.length === TYPE_LENGTH) return fields[i + 1]!.toString();
  }
  return '';
}

/**
 * A stored event from an XRANGE entry.
 *
 * @example
 * ```ts
 * const [entry] = await client.xrange('herald:events', '42-0', '42-0');
 * const event = decodeEntry(entry);
 * ```
 */
export function decodeEntry(entry: StreamEntry): StoredEvent {
  return decodeFields(entryPosition(entry[0]), entry[1]);
}
