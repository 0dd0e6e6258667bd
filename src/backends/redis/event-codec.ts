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
 * `version` for events of a stream), and its position.
 *
 * @example
 * ```ts
 * const event = decodeFields(42, ['id', 'e1', 'type', 'a.b', 'recorded', '1767225600000', 'event', '{...}']);
 * ```
 */
export function decodeFields(position: number, fields: readonly string[]): StoredEvent {
  let json = '{}';
  let recorded = 0;
  let stream: string | undefined;
  let version: number | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const value = fields[i + 1]!;
    switch (fields[i]) {
      case 'event':
        json = value;
        break;
      case 'recorded':
        recorded = Number(value);
        break;
      case 'stream':
        stream = value;
        break;
      case 'version':
        version = Number(value);
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
