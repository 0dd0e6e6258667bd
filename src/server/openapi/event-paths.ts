import { errors, ok, ref } from './refs.js';
import type { Parameter, PathItem } from './types.js';

const header = (name: string, description: string): Parameter => ({
  name,
  in: 'header',
  description,
  schema: { type: 'string' },
});

const appended = ok('The events, where they were stored.', ref('schemas', 'AppendResult'));

/**
 * The event routes: CloudEvents ingest and the queries of the log.
 *
 * @example
 * ```ts
 * const paths = { ...EVENT_PATHS };
 * ```
 */
export const EVENT_PATHS: Readonly<Record<string, PathItem>> = {
  '/v1/events': {
    post: {
      operationId: 'publishEvents',
      summary: 'Publish events (CloudEvents HTTP binding, or plain JSON)',
      description:
        'Structured mode (`application/cloudevents+json`, one event, strictly valid), batch mode (`application/cloudevents-batch+json`, appended atomically), binary mode (any content type with `ce-specversion`, `ce-id`, `ce-source`, `ce-type` and other `ce-*` headers, percent-decoded; the body is `data`), or plain `application/json` (one event, an array, or a stream envelope). Every type must be one the caller may publish. Re-sending a stored id stores nothing (idempotent).',
      tags: ['events'],
      parameters: [
        header('Herald-Stream', 'Append every event of the request to this stream.'),
        {
          name: 'Herald-Expected-Version',
          in: 'header',
          description:
            'With Herald-Stream: `any`, `no_stream`, `stream_exists`, or the version of its last event; a mismatch is 409 and nothing is stored.',
          schema: { type: 'string', pattern: '^(any|no_stream|stream_exists|[0-9]+)$' },
        },
        {
          name: 'Herald-Delay-Ms',
          in: 'header',
          description:
            'Deliver later: every event of the request is stored in the schedule and enters the log this many ms from now (202). Not with Herald-Expected-Version.',
          schema: { type: 'string', pattern: '^[0-9]+$' },
        },
        {
          name: 'Herald-Deliver-At',
          in: 'header',
          description:
            'Deliver at this RFC 3339 time (with an offset); a past time is due at once. Without either header, a `deliverat` attribute on the events (the same on all of them) does the same.',
          schema: { type: 'string', format: 'date-time' },
        },
        header('ce-specversion', 'Binary mode: `1.0`. Its presence selects binary mode.'),
        header('ce-id', 'Binary mode: the event id.'),
        header('ce-source', 'Binary mode: the event source.'),
        header('ce-type', 'Binary mode: the event type.'),
      ],
      requestBody: {
        required: true,
        content: {
          'application/cloudevents+json': { schema: ref('schemas', 'CloudEvent') },
          'application/cloudevents-batch+json': {
            schema: { type: 'array', items: ref('schemas', 'CloudEvent') },
          },
          'application/json': {
            schema: {
              oneOf: [
                ref('schemas', 'StreamEnvelope'),
                ref('schemas', 'EventInput'),
                { type: 'array', items: ref('schemas', 'EventInput') },
              ],
            },
          },
          '*/*': {
            schema: {
              description:
                'Binary mode: the data, with the attributes in ce-* headers. JSON types are parsed, text/* is kept as text, anything else is stored as data_base64.',
            },
          },
        },
      },
      responses: {
        '200': {
          ...appended,
          description: 'Every id was already stored: the original positions (an idempotent retry).',
        },
        '201': { ...appended, description: 'Stored.' },
        '202': ok(
          'Scheduled: stored for delivery at their time (Herald-Delay-Ms, Herald-Deliver-At or deliverat).',
          ref('schemas', 'ScheduleResult'),
        ),
        ...errors(400, 401, 403, 409, 413, 415, 429, 503),
      },
    },
    get: {
      operationId: 'queryEvents',
      summary: 'Read events in position order, filtered',
      description: 'Only events the caller may read. Page with `after=<next>`.',
      tags: ['events'],
      parameters: [
        ref('parameters', 'Types'),
        {
          name: 'after',
          in: 'query',
          description: 'Only events after this position (default 0: from the start).',
          schema: { type: 'integer', minimum: 0, default: 0 },
        },
        ref('parameters', 'Limit'),
        {
          name: 'stream',
          in: 'query',
          description: "Only this stream's events.",
          schema: { type: 'string' },
        },
        {
          name: 'correlationid',
          in: 'query',
          description: 'Only events with this correlationid.',
          schema: { type: 'string' },
        },
        {
          name: 'since',
          in: 'query',
          description: 'Only events recorded at or after this time (RFC 3339).',
          schema: { type: 'string', format: 'date-time' },
        },
        {
          name: 'until',
          in: 'query',
          description: 'Only events recorded before this time (RFC 3339).',
          schema: { type: 'string', format: 'date-time' },
        },
      ],
      responses: {
        '200': ok('A page of events.', ref('schemas', 'EventPage')),
        ...errors(400, 401, 403, 429, 503),
      },
    },
  },
  '/v1/events/{id}': {
    get: {
      operationId: 'getEvent',
      summary: 'Read one event by id',
      tags: ['events'],
      parameters: [
        { name: 'id', in: 'path', required: true, description: 'The event id.', schema: { type: 'string' } },
      ],
      responses: {
        '200': ok('The stored event.', ref('schemas', 'StoredEvent')),
        ...errors(401, 404, 429, 503),
      },
    },
  },
  '/v1/streams/{stream}': {
    get: {
      operationId: 'readStream',
      summary: "Read a stream's events in version order",
      description: 'Only events the caller may read; `version` is the stream version whatever the filter.',
      tags: ['events'],
      parameters: [
        {
          name: 'stream',
          in: 'path',
          required: true,
          description: 'The stream.',
          schema: { type: 'string' },
        },
        {
          name: 'fromVersion',
          in: 'query',
          description: 'From this version on (default 1).',
          schema: { type: 'integer', minimum: 1, default: 1 },
        },
        ref('parameters', 'Limit'),
      ],
      responses: {
        '200': ok('A page of the stream.', ref('schemas', 'StreamPage')),
        ...errors(400, 401, 429, 503),
      },
    },
  },
  '/v1/scheduled': {
    get: {
      operationId: 'listScheduled',
      summary: 'List the events waiting for their delivery time',
      description:
        'In due order (then id), only those the caller may read, so a page may hold fewer than `limit`. Page with `after=<next>`.',
      tags: ['events'],
      parameters: [
        {
          name: 'after',
          in: 'query',
          description: 'The `next` of the previous page.',
          schema: { type: 'string' },
        },
        ref('parameters', 'Limit'),
      ],
      responses: {
        '200': ok('A page of scheduled events.', ref('schemas', 'ScheduledPage')),
        ...errors(400, 401, 429, 503),
      },
    },
  },
  '/v1/scheduled/{id}': {
    delete: {
      operationId: 'cancelScheduled',
      summary: 'Cancel a scheduled event (admin)',
      description:
        'A cancelled event is never delivered. 404 when nothing with this id is pending: unknown, already cancelled, or already taken by a mover (it is or will be in the log).',
      tags: ['events'],
      parameters: [
        { name: 'id', in: 'path', required: true, description: 'The event id.', schema: { type: 'string' } },
      ],
      responses: {
        '200': ok('Cancelled.', {
          type: 'object',
          required: ['id', 'cancelled'],
          properties: { id: { type: 'string' }, cancelled: { const: true } },
        }),
        ...errors(401, 403, 404, 429, 503),
      },
    },
  },
};
