import { bytesToBase64, isBase64 } from './base64.js';
import { checkAttribute, checkDataType } from './check-attribute.js';
import { checkDataDepth } from './data-depth.js';
import { invalidEvent } from './invalid-event.js';
import type { HeraldEvent } from './types.js';

// Incoming names are accepted at any length: CloudEvents only says they SHOULD NOT exceed 20
// characters, and refusing another producer's long name would break interoperability.
const ANY_LENGTH = Number.POSITIVE_INFINITY;
const REQUIRED = ['id', 'source', 'type'] as const;

/**
 * Checks an incoming CloudEvents 1.0 event in the JSON format (from HTTP, a file or a user) and
 * returns it as a `HeraldEvent`: a new object with the same members, minus attributes set to `null`
 * (CloudEvents: null means unset). `data` is kept as given, `null` included (an explicit null
 * payload); a `Uint8Array` `data` becomes `data_base64`. Throws `HeraldError('INVALID_EVENT')`
 * whose `details` name the `attribute` and the `rule` broken (`data` nested more than
 * `MAX_DATA_DEPTH` levels is rule `depth`). The `type` is not checked against
 * Herald's subject grammar here; the broker does that when it routes.
 *
 * @example
 * ```ts
 * const event = validateEvent(JSON.parse(body));
 * // throws: invalid CloudEvent: attribute "time" must be an RFC 3339 timestamp, got "lunchtime"
 * validateEvent({ specversion: '1.0', id: '1', source: '/s', type: 't', time: 'lunchtime' });
 * ```
 */
export function validateEvent(input: unknown): HeraldEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidEvent(null, 'object', 'must be a JSON object', input);
  }
  const fields = input as Record<string, unknown>;
  // specversion first: an event of another version would otherwise be reported for a symptom.
  const specversion = fields.specversion;
  if (specversion === undefined || specversion === null) {
    throw invalidEvent('specversion', 'required', 'is required');
  }
  if (specversion !== '1.0') throw invalidEvent('specversion', 'specversion', 'must be "1.0"', specversion);
  for (const name of REQUIRED) {
    if (fields[name] === undefined || fields[name] === null)
      throw invalidEvent(name, 'required', 'is required');
  }

  const event: Record<string, unknown> = {};
  let bytes: Uint8Array | undefined;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (value === undefined) continue;
    if (name === 'data') {
      if (value instanceof Uint8Array) bytes = value;
      else event.data = value;
      continue;
    }
    if (value === null) continue;
    if (name === 'data_base64') {
      if (typeof value !== 'string') throw invalidEvent(name, 'string', 'must be a string', value);
      if (!isBase64(value)) throw invalidEvent(name, 'base64', 'must be padded standard base64', value);
    } else if (name !== 'specversion') {
      checkAttribute(name, value, ANY_LENGTH);
    }
    event[name] = value;
  }

  if (bytes !== undefined) {
    if (event.data_base64 !== undefined) throw exclusive();
    event.data_base64 = bytesToBase64(bytes);
  } else if ('data' in event) {
    if (event.data_base64 !== undefined) throw exclusive();
    checkDataType(event.data, event.datacontenttype as string | undefined);
    checkDataDepth(event.data);
  }
  return event as unknown as HeraldEvent;
}

function exclusive(): Error {
  return invalidEvent('data_base64', 'exclusive', 'must not be present together with "data"');
}
