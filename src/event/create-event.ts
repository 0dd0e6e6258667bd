import { bytesToBase64, isBase64 } from './base64.js';
import { checkAttribute, checkDataType, MAX_EXTENSION_NAME } from './check-attribute.js';
import { eventClock, isoAt } from './clock.js';
import { checkDataDepth } from './data-depth.js';
import { invalidEvent } from './invalid-event.js';
import type { HeraldEvent, HeraldExtensions } from './types.js';
import { uuidv7At } from './uuidv7.js';

/**
 * What `createEvent` needs: a `type`, usually `data`, and any attribute to set instead of its
 * default. Other lower-case keys are extension attributes. `undefined` and `null` attributes are
 * left out (`null` `data` is kept: it is an explicit null payload).
 */
export interface EventInit<TType extends string = string, TData = unknown> extends HeraldExtensions {
  type: TType;
  /** The payload; a `Uint8Array` is stored as `data_base64`. */
  data?: TData;
  /** Defaults to a new UUIDv7. */
  id?: string;
  /** Defaults to `defaults.source`, then `'herald'`. */
  source?: string;
  /** Defaults to the current time (RFC 3339, UTC, milliseconds). */
  time?: string;
  subject?: string;
  /** Defaults to `application/json` when `data` is neither a string nor bytes. */
  datacontenttype?: string;
  dataschema?: string;
  /** Binary data already in base64; not together with `data`. */
  data_base64?: string;
  [extension: string]: unknown;
}

/** Values `createEvent` uses when the init leaves them out (a broker passes its own). */
export interface EventDefaults {
  /** The `source` of events that name none; defaults to `'herald'`. */
  source?: string;
}

// The last default source that passed the URI-reference check: a broker passes the same one on
// every publish, and the check costs as much as the rest of createEvent.
let checkedSource = 'herald';

function defaultSource(defaults: EventDefaults | undefined): string {
  const source = defaults?.source;
  if (source === undefined) return 'herald';
  if (source !== checkedSource) {
    checkAttribute('source', source, MAX_EXTENSION_NAME);
    checkedSource = source;
  }
  return source;
}

/**
 * Makes a CloudEvents 1.0 event. Fills `specversion: '1.0'`, `id` (a UUIDv7), `time` (now),
 * `source` (`init.source`, else `defaults.source`, else `'herald'`) and, when `data` is present
 * and is neither a string nor a `Uint8Array` and no `datacontenttype` was given,
 * `datacontenttype: 'application/json'`. String data gets no content type (the JSON format then
 * reads it as a JSON string, which it is); `Uint8Array` data is stored base64-encoded as
 * `data_base64` (read it back with `eventBytes`).
 *
 * The attributes given are checked like `validateEvent` checks them (extension names at most 20
 * characters here; `data` nested more than `MAX_DATA_DEPTH` levels is refused, rule `depth`);
 * the `type` grammar is left to the subject module. The event is readonly by
 * type but not frozen at run time: `Object.freeze` measured at 50-100 ns more per event, 40% or
 * more of the whole call.
 *
 * @example
 * ```ts
 * const event = createEvent({ type: 'order.created', data: { id: 'o-1' } }, { source: '/shop' });
 * // { specversion: '1.0', id: '0193…', source: '/shop', type: 'order.created',
 * //   time: '2026-…Z', datacontenttype: 'application/json', data: { id: 'o-1' } }
 * createEvent({ type: 'order.shipped', subject: 'o-1', priority: 'high', correlationid: 'c-9' });
 * ```
 */
export function createEvent<TType extends string = string, TData = unknown>(
  init: EventInit<TType, TData>,
  defaults?: EventDefaults,
): HeraldEvent<TType, TData> {
  const type = init.type as unknown;
  if (typeof type !== 'string' || type === '') {
    throw invalidEvent('type', 'non-empty', 'must be a non-empty string', type);
  }
  for (const key in init) {
    if (key !== 'type' && key !== 'data') return createWithAttributes(init, defaults);
  }
  return plainEvent(type, init.data, defaults) as HeraldEvent<TType, TData>;
}

/**
 * `createEvent({ type, data }, defaults)` without the init object: the broker's publish path. The
 * caller has checked that `type` is a non-empty string.
 */
export function plainEvent(type: string, data: unknown, defaults: EventDefaults | undefined): HeraldEvent {
  // The common case: one literal per kind of data, each with a fixed key order, so V8 gives all
  // such events one hidden class per kind (four at most) and reads of them stay on fast paths.
  const now = eventClock();
  const id = uuidv7At(now);
  const source = defaultSource(defaults);
  const time = isoAt(now);
  let event: Record<string, unknown>;
  if (data === undefined) event = { specversion: '1.0', id, source, type, time };
  else if (typeof data === 'string') event = { specversion: '1.0', id, source, type, time, data };
  else if (data instanceof Uint8Array) {
    event = { specversion: '1.0', id, source, type, time, data_base64: bytesToBase64(data) };
  } else {
    checkDataDepth(data);
    event = { specversion: '1.0', id, source, type, time, datacontenttype: 'application/json', data };
  }
  return event as HeraldEvent;
}

/** The general case: the init sets attributes or extensions besides `type` and `data`. */
function createWithAttributes<TType extends string, TData>(
  init: EventInit<TType, TData>,
  defaults: EventDefaults | undefined,
): HeraldEvent<TType, TData> {
  const now = eventClock();
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: init.id ?? uuidv7At(now),
    source: init.source ?? defaultSource(defaults),
    type: init.type,
    time: init.time ?? isoAt(now),
  };
  // for-in, not Object.keys: V8 reads `init[name]` through the enum cache inside for-in, which
  // measured a third faster here.
  for (const name in init) {
    const value = init[name];
    if (value === undefined || value === null || name === 'type' || name === 'data') continue;
    if (name === 'specversion') {
      if (value !== '1.0') throw invalidEvent(name, 'specversion', 'must be "1.0"', value);
      continue;
    }
    if (name === 'data_base64') {
      if (typeof value !== 'string') throw invalidEvent(name, 'string', 'must be a string', value);
      if (!isBase64(value)) throw invalidEvent(name, 'base64', 'must be padded standard base64', value);
    } else {
      checkAttribute(name, value, MAX_EXTENSION_NAME);
    }
    event[name] = value;
  }

  const data = init.data;
  if (data === undefined) return event as HeraldEvent<TType, TData>;
  if (event.data_base64 !== undefined) {
    throw invalidEvent('data_base64', 'exclusive', 'must not be present together with "data"');
  }
  if (data instanceof Uint8Array) {
    event.data_base64 = bytesToBase64(data);
  } else {
    if (event.datacontenttype !== undefined) checkDataType(data, event.datacontenttype as string);
    else if (typeof data !== 'string') event.datacontenttype = 'application/json';
    checkDataDepth(data);
    event.data = data;
  }
  return event as HeraldEvent<TType, TData>;
}
