import { HeraldError } from '../errors/index.js';

/**
 * The rule an invalid event broke, as `details.rule` of its `INVALID_EVENT` error: stable strings
 * a client can branch on, next to the human message.
 */
export type EventRule =
  /** The text is not JSON. */
  | 'json'
  /** An event must be a JSON object. */
  | 'object'
  /** A batch must be a JSON array. */
  | 'array'
  /** A REQUIRED attribute is absent or null. */
  | 'required'
  /** The JSON type is wrong (e.g. a number where a string is needed). */
  | 'string'
  /** The string is empty where CloudEvents requires a non-empty one. */
  | 'non-empty'
  /** `specversion` is not "1.0". */
  | 'specversion'
  /** A String holds characters CloudEvents forbids (controls, noncharacters, lone surrogates). */
  | 'characters'
  /** Not an RFC 3986 URI-reference. */
  | 'uri-reference'
  /** Not an RFC 3986 URI with a scheme. */
  | 'uri'
  /** Not an RFC 3339 timestamp. */
  | 'timestamp'
  /** Not an RFC 2046 media type. */
  | 'media-type'
  /** Not padded standard base64. */
  | 'base64'
  /** `data` and `data_base64` are both present. */
  | 'exclusive'
  /** `data` is not a string although `datacontenttype` does not declare JSON. */
  | 'data-string'
  /** The JSON value of `data` cannot be written (e.g. a BigInt or a cycle). */
  | 'serializable'
  /** A binary-mode `ce-*` header is not valid percent-encoded UTF-8; `details.header` names it. */
  | 'percent-encoding'
  /** `data` nests arrays and objects deeper than `MAX_DATA_DEPTH`; `details.limit` says how deep. */
  | 'depth'
  /** An extension name is not lower-case a-z0-9. */
  | 'name'
  /** An extension name Herald would create is longer than 20 characters. */
  | 'name-length'
  /** An extension value is not a string, boolean or integer. */
  | 'value-type'
  /** A number is not a CloudEvents Integer (whole, 32-bit signed). */
  | 'integer'
  /** A value is not one of the allowed words (`priority`, `severity`). */
  | 'enum'
  /** Not a W3C trace context `traceparent` (version 00). */
  | 'traceparent'
  /** `position` or `version` is not a non-negative integer. */
  | 'non-negative-integer';

const MAX_SHOWN = 80;

/**
 * A short rendering of an offending value for an error message: strings quoted and cut, objects
 * named by kind, so that an error about a large `data` never copies it into the message.
 */
function show(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_SHOWN
        ? `${JSON.stringify(value.slice(0, MAX_SHOWN))}...`
        : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'an array';
      return value instanceof Uint8Array ? 'bytes' : 'an object';
  }
}

/**
 * Builds the `INVALID_EVENT` error for one broken rule. `problem` completes the sentence
 * `attribute "<name>" ...`; the offending value, when given, is appended as `got <value>`.
 * Internal to the event module.
 */
export function invalidEvent(
  attribute: string | null,
  rule: EventRule,
  problem: string,
  ...got: [] | [unknown]
): HeraldError {
  const subject = attribute === null ? 'event' : `attribute ${JSON.stringify(attribute)}`;
  const value = got.length === 0 ? '' : `, got ${show(got[0])}`;
  return new HeraldError('INVALID_EVENT', `invalid CloudEvent: ${subject} ${problem}${value}`, {
    details: { attribute, rule },
  });
}
