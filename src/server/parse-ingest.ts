import type { IncomingHttpHeaders } from 'node:http';
import { HeraldError } from '../errors/herald-error.js';
import { isoNow } from '../event/clock.js';
import { parseBatch, parseStructured } from '../event/structured.js';
import type { HeraldEvent } from '../event/types.js';
import { uuidv7 } from '../event/uuidv7.js';
import { validateEvent } from '../event/validate-event.js';

/** What a POST /v1/events body holds: the events, and the stream options of a plain-JSON envelope. */
export interface ParsedIngest {
  mode: IngestMode;
  events: HeraldEvent[];
  /** From a `{ "stream", "expectedVersion", "events": [...] }` body (plain JSON only). */
  stream?: string;
  expectedVersion?: unknown;
}

/** How a POST /v1/events body was sent (CloudEvents HTTP binding modes, plus plain JSON). */
export type IngestMode = 'structured' | 'batch' | 'binary' | 'json';

const media = (contentType: string | undefined): string =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * Turns an HTTP request into CloudEvents, by the CloudEvents HTTP binding:
 * - `application/cloudevents+json`: one event, strictly valid (nothing filled in);
 * - `application/cloudevents-batch+json`: an array of them;
 * - any content type with a `ce-specversion` header: binary mode, attributes from `ce-*` headers and
 *   the body as data (JSON parsed for JSON types, text for `text/*`, base64 otherwise);
 * - plain `application/json` without `ce-` headers: one event or an array, where a missing `id`,
 *   `time` or `specversion` is filled in and `source` defaults to `defaultSource`.
 * Anything else is `UNSUPPORTED_MEDIA_TYPE` (415).
 *
 * @example
 * ```ts
 * parseIngest({ 'content-type': 'application/json' }, Buffer.from('{"type":"order.created","data":{}}'), 'curl');
 * ```
 */
export function parseIngest(headers: IncomingHttpHeaders, body: Buffer, defaultSource: string): ParsedIngest {
  const type = media(headers['content-type']);
  if (typeof headers['ce-specversion'] === 'string')
    return { mode: 'binary', events: [binaryEvent(headers, type, body)] };
  if (type === 'application/cloudevents+json')
    return { mode: 'structured', events: [parseStructured(text(body))] };
  if (type === 'application/cloudevents-batch+json') return { mode: 'batch', events: parseBatch(text(body)) };
  if (type === 'application/json') {
    const parsed = json(body);
    const envelope = streamEnvelope(parsed);
    const list = envelope ? envelope.events : Array.isArray(parsed) ? parsed : [parsed];
    return {
      mode: 'json',
      ...(envelope?.stream !== undefined && { stream: envelope.stream }),
      ...(envelope?.expectedVersion !== undefined && { expectedVersion: envelope.expectedVersion }),
      events: list.map((item: unknown, index) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          throw new HeraldError('INVALID_EVENT', `event ${index} is not a JSON object`, {
            details: { attribute: null, rule: 'object', index },
          });
        }
        return validateEvent({
          specversion: '1.0',
          id: uuidv7(),
          time: isoNow(),
          source: defaultSource,
          ...item,
        });
      }),
    };
  }
  throw new HeraldError(
    'UNSUPPORTED_MEDIA_TYPE',
    `unsupported content type "${type || '(none)'}": send application/cloudevents+json, application/cloudevents-batch+json, application/json, or binary mode with ce-* headers`,
    { details: { contentType: type } },
  );
}

/**
 * A plain-JSON body may wrap its events with stream options: `{ "stream": "order-1",
 * "expectedVersion": 0, "events": [...] }` (an object with `events` and no `type`).
 */
function streamEnvelope(
  parsed: unknown,
): { events: unknown[]; stream?: string; expectedVersion?: unknown } | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const body = parsed as Record<string, unknown>;
  if (!('events' in body) || 'type' in body) return undefined;
  if (!Array.isArray(body.events)) {
    throw new HeraldError('INVALID_EVENT', '"events" must be an array of events', {
      details: { attribute: 'events', rule: 'array' },
    });
  }
  if (body.stream !== undefined && (typeof body.stream !== 'string' || body.stream === '')) {
    throw new HeraldError('INVALID_EVENT', '"stream" must be a non-empty string', {
      details: { attribute: 'stream', rule: 'string' },
    });
  }
  const expected = body.expectedVersion;
  // Only a word or a number can be a version; anything else is refused here, before it is echoed.
  if (expected !== undefined && typeof expected !== 'string' && typeof expected !== 'number') {
    throw new HeraldError(
      'INVALID_QUERY',
      'expectedVersion must be any, no_stream, stream_exists or a version (an integer >= 0)',
      { details: { parameter: 'expectedVersion' } },
    );
  }
  return {
    events: body.events as unknown[],
    ...(typeof body.stream === 'string' && { stream: body.stream }),
    ...(body.expectedVersion !== undefined && { expectedVersion: body.expectedVersion }),
  };
}

function binaryEvent(headers: IncomingHttpHeaders, type: string, body: Buffer): HeraldEvent {
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || typeof value !== 'string') continue;
    attributes[name.slice(3)] = headerValue(name, value);
  }
  if (body.length > 0) {
    if (type === '' || type === 'application/json' || type.endsWith('+json')) attributes.data = json(body);
    else if (type.startsWith('text/')) attributes.data = text(body);
    else attributes.data_base64 = body.toString('base64');
  }
  if (type !== '') attributes.datacontenttype = headers['content-type'];
  return validateEvent(attributes);
}

/**
 * Header values are percent-encoded where they are not printable ASCII (HTTP binding 3.1.3.2); a
 * broken escape (`%E0%A4%A`) or one that is not UTF-8 (`%FF`) is the client's error, named by header.
 */
function headerValue(header: string, value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HeraldError(
      'INVALID_EVENT',
      `invalid CloudEvent: header "${header}" is not valid percent-encoded UTF-8 (HTTP binding 3.1.3.2)`,
      { details: { attribute: header.slice(3), header, rule: 'percent-encoding' } },
    );
  }
}

function text(body: Buffer): string {
  return body.toString('utf8');
}

function json(body: Buffer): unknown {
  try {
    return JSON.parse(text(body)) as unknown;
  } catch (error) {
    throw new HeraldError('INVALID_EVENT', `the body is not valid JSON: ${(error as Error).message}`, {
      details: { attribute: null, rule: 'json' },
    });
  }
}
