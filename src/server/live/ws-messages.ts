import { HeraldError } from '../../errors/herald-error.js';
import type { ExpectedVersion } from '../../log/types.js';

/** `{ type: 'subscribe', id, patterns?, from?, lastEventId? }`: start a subscription named `id`. */
export interface SubscribeMessage {
  type: 'subscribe';
  id: string;
  patterns: string[] | undefined;
  from: string | undefined;
  lastEventId: string | undefined;
}

/** `{ type: 'unsubscribe', id }`. */
export interface UnsubscribeMessage {
  type: 'unsubscribe';
  id: string;
}

/** `{ type: 'publish', event, stream?, expectedVersion?, ref? }`: append one event. */
export interface PublishMessage {
  type: 'publish';
  ref: string | number | undefined;
  event: Record<string, unknown>;
  stream: string | undefined;
  expectedVersion: ExpectedVersion | undefined;
}

/** A message a WebSocket client may send. */
export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PublishMessage;

/** What an error reply echoes so the client can match it to its request. */
export interface Echo {
  id?: string;
  ref?: string | number;
}

const MAX_ID = 256;

/**
 * Checks a client message (already JSON-parsed) and returns it typed, or throws
 * `INVALID_MESSAGE` naming the field and what it must be.
 *
 * @example
 * ```ts
 * parseClientMessage({ type: 'subscribe', id: 'orders', patterns: ['orders.>'] });
 * ```
 */
export function parseClientMessage(raw: unknown): ClientMessage {
  if (!isObject(raw)) throw invalid('a message must be a JSON object', 'message', raw);
  switch (raw.type) {
    case 'subscribe':
      return {
        type: 'subscribe',
        id: id(raw.id),
        patterns: patterns(raw.patterns),
        from: optionalText(raw.from, 'from'),
        lastEventId: optionalText(raw.lastEventId, 'lastEventId'),
      };
    case 'unsubscribe':
      return { type: 'unsubscribe', id: id(raw.id) };
    case 'publish': {
      if (!isObject(raw.event))
        throw invalid('"event" must be an object (a CloudEvent, or { type, data })', 'event', raw.event);
      const stream = raw.stream;
      if (stream !== undefined && (typeof stream !== 'string' || stream === '')) {
        throw invalid('"stream" must be a non-empty string', 'stream', stream);
      }
      const expectedVersion = version(raw.expectedVersion);
      if (expectedVersion !== undefined && stream === undefined) {
        throw invalid('"expectedVersion" needs a "stream"', 'expectedVersion', raw.expectedVersion);
      }
      return { type: 'publish', ref: ref(raw.ref), event: raw.event, stream, expectedVersion };
    }
    default:
      throw invalid(
        typeof raw.type === 'string'
          ? `unknown message type ${JSON.stringify(raw.type)}: expected subscribe, unsubscribe or publish`
          : 'a message needs a "type": subscribe, unsubscribe or publish',
        'type',
        raw.type,
      );
  }
}

/**
 * The `id` and `ref` of a message, as far as they are well formed, for its error reply: strings
 * of at most 256 characters and finite numbers. Anything else is left out, so a reply is never
 * as big as the message it answers.
 *
 * @example
 * ```ts
 * echoOf({ type: 'publish', ref: 7 }); // { ref: 7 }
 * ```
 */
export function echoOf(raw: unknown): Echo {
  if (!isObject(raw)) return {};
  const echo: Echo = {};
  if (typeof raw.id === 'string' && raw.id.length <= MAX_ID) echo.id = raw.id;
  if (isRef(raw.ref)) echo.ref = raw.ref;
  return echo;
}

function isRef(value: unknown): value is string | number {
  return (
    (typeof value === 'string' && value.length <= MAX_ID) ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function ref(value: unknown): string | number | undefined {
  if (value === undefined || isRef(value)) return value;
  throw invalid(`"ref" must be a string of at most ${MAX_ID} characters or a number`, 'ref', value);
}

function id(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID) {
    throw invalid(`"id" must be a string of 1 to ${MAX_ID} characters`, 'id', value);
  }
  return value;
}

function patterns(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((p): p is string => typeof p === 'string')) {
    throw invalid('"patterns" must be an array of strings', 'patterns', value);
  }
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string') return value;
  throw invalid(`"${field}" must be a string or a position`, field, value);
}

function version(value: unknown): ExpectedVersion | undefined {
  if (value === undefined) return undefined;
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw invalid(
    '"expectedVersion" must be any, no_stream, stream_exists or a version (an integer >= 0)',
    'expectedVersion',
    value,
  );
}

function invalid(message: string, field: string, value: unknown): HeraldError {
  // A big value is not echoed back: the client has it, and the reply would be as big.
  const small =
    value === null ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    (typeof value === 'string' && value.length <= MAX_ID);
  return new HeraldError('INVALID_MESSAGE', message, {
    details: { field, ...(small && { value }) },
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
