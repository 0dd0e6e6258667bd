import { invalidEvent } from './invalid-event.js';
import { isJsonMediaType, isMediaType } from './media-type.js';
import { isTimestamp } from './timestamp.js';
import { isAbsoluteUri, isUriReference } from './uri.js';

// CloudEvents `String` forbids C0 and C1 controls, Unicode noncharacters and unpaired surrogates
// (with the `u` flag a well-formed pair is one code point, so `\p{Cs}` matches only lone halves).
// eslint-disable-next-line no-control-regex -- these control characters are exactly what is forbidden
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\p{Cs}\p{Noncharacter_Code_Point}]/u;
// Printable ASCII needs no further look: the Unicode-aware test above is several times slower.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const EXTENSION_NAME = /^[a-z0-9]+$/;
const TRACEPARENT = /^00-(?!0{32}-)[0-9a-f]{32}-(?!0{16}-)[0-9a-f]{16}-[0-9a-f]{2}$/;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** CloudEvents suggests names of at most 20 characters; Herald holds the names it creates to it. */
export const MAX_EXTENSION_NAME = 20;

function checkString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw invalidEvent(name, 'string', 'must be a string', value);
  if (!PRINTABLE_ASCII.test(value) && FORBIDDEN_CHARS.test(value)) {
    throw invalidEvent(
      name,
      'characters',
      'must not contain control characters, noncharacters or lone surrogates',
      value,
    );
  }
}

function checkNonEmpty(name: string, value: unknown): asserts value is string {
  checkString(name, value);
  if (value === '') throw invalidEvent(name, 'non-empty', 'must be a non-empty string', value);
}

function checkTimestamp(name: string, value: unknown): void {
  checkNonEmpty(name, value);
  if (!isTimestamp(value)) throw invalidEvent(name, 'timestamp', 'must be an RFC 3339 timestamp', value);
}

function checkOneOf(name: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalidEvent(name, 'enum', `must be one of ${allowed.join(', ')}`, value);
  }
}

function checkNonNegativeInteger(name: string, value: unknown): void {
  // Safe integers rather than Int32: a log's position may outgrow 2^31 (see docs/event-envelope.md).
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidEvent(name, 'non-negative-integer', 'must be a non-negative integer', value);
  }
}

/** Checks the name of an attribute that is neither a core nor a Herald attribute. */
export function checkExtensionName(name: string, maxLength: number): void {
  if (!EXTENSION_NAME.test(name)) {
    throw invalidEvent(
      name,
      'name',
      'has an invalid name: extension names are lower-case letters a-z and digits 0-9',
    );
  }
  if (name.length > maxLength) {
    throw invalidEvent(name, 'name-length', `has a name longer than ${maxLength} characters`);
  }
}

function checkExtensionValue(name: string, value: unknown): void {
  if (typeof value === 'string') return checkString(name, value);
  if (typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw invalidEvent(
        name,
        'integer',
        'must be a CloudEvents Integer (a whole number in the 32-bit signed range)',
        value,
      );
    }
    return;
  }
  throw invalidEvent(name, 'value-type', 'must be a string, a boolean or an integer', value);
}

/**
 * Checks one present, non-null context attribute (core, Herald's own or any extension) against
 * its CloudEvents and Herald rules; throws `INVALID_EVENT` naming the attribute and the rule.
 * `specversion`, `data` and `data_base64` are the callers' to check. Extension names longer than
 * `maxNameLength` are refused. Internal to the event module.
 */
export function checkAttribute(name: string, value: unknown, maxNameLength: number): void {
  switch (name) {
    case 'id':
    case 'type':
    case 'subject':
    case 'stream':
    case 'correlationid':
    case 'causationid':
    case 'userid':
    case 'sessionid':
    case 'instanceid':
      return checkNonEmpty(name, value);
    case 'source':
      checkNonEmpty(name, value);
      if (!isUriReference(value))
        throw invalidEvent(name, 'uri-reference', 'must be an RFC 3986 URI-reference', value);
      return;
    case 'dataschema':
      checkNonEmpty(name, value);
      if (!isAbsoluteUri(value)) throw invalidEvent(name, 'uri', 'must be an absolute RFC 3986 URI', value);
      return;
    case 'datacontenttype':
      checkNonEmpty(name, value);
      if (!isMediaType(value))
        throw invalidEvent(name, 'media-type', 'must be an RFC 2046 media type', value);
      return;
    case 'time':
    case 'expiresat':
      return checkTimestamp(name, value);
    case 'priority':
      return checkOneOf(name, value, ['critical', 'high', 'normal', 'low']);
    case 'severity':
      return checkOneOf(name, value, ['info', 'warn', 'error', 'critical']);
    case 'traceparent':
      if (typeof value !== 'string' || !TRACEPARENT.test(value)) {
        throw invalidEvent(
          name,
          'traceparent',
          'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, ids not all zero)',
          value,
        );
      }
      return;
    case 'position':
    case 'version':
      return checkNonNegativeInteger(name, value);
    default:
      checkExtensionName(name, maxNameLength);
      return checkExtensionValue(name, value);
  }
}

/**
 * JSON format section 3.1: without a JSON content type, `data` is an encoded string. Shared by
 * `validateEvent` and `createEvent`.
 */
export function checkDataType(data: unknown, contentType: string | undefined): void {
  if (typeof data !== 'string' && !isJsonMediaType(contentType)) {
    throw invalidEvent(
      'data',
      'data-string',
      `must be a string when datacontenttype ${JSON.stringify(contentType)} does not declare JSON`,
      data,
    );
  }
}
