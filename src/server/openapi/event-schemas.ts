import { ref } from './refs.js';
import type { JsonSchema } from './types.js';

const attribute = (description: string, extra: Record<string, unknown> = {}): JsonSchema => ({
  type: 'string',
  description,
  ...extra,
});

/**
 * The schemas of events and of the event routes' bodies: `CloudEvent`, `StoredEvent`,
 * `EventInput`, `StreamEnvelope`, `AppendResult`, `EventPage`, `StreamPage`.
 *
 * @example
 * ```ts
 * const components = { schemas: { ...EVENT_SCHEMAS } };
 * ```
 */
export const EVENT_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  CloudEvent: {
    type: 'object',
    description:
      'A CloudEvents 1.0 event in JSON format. Extension attributes (lower-case a-z0-9 names such as correlationid, causationid, priority, traceparent) sit beside the context attributes.',
    required: ['specversion', 'id', 'source', 'type'],
    properties: {
      specversion: { const: '1.0' },
      id: attribute('Unique per source; Herald fills in a UUIDv7 for plain JSON.'),
      source: attribute('URI-reference of the producer.'),
      type: attribute('A subject: dot-separated tokens, no wildcards, at most 255 characters.'),
      time: attribute("The producer's time (RFC 3339).", { format: 'date-time' }),
      subject: attribute('What the event is about, within the source.'),
      datacontenttype: attribute('Media type of data.'),
      dataschema: attribute('URI of the schema of data.'),
      data: { description: 'The payload (any JSON value).' },
      data_base64: attribute('A binary payload, base64-encoded (instead of data).'),
    },
    additionalProperties: true,
  },
  StoredEvent: {
    description: 'An event as the log stored it: the CloudEvent plus where it was stored.',
    allOf: [
      ref('schemas', 'CloudEvent'),
      {
        type: 'object',
        required: ['position', 'recordedat'],
        properties: {
          position: { type: 'integer', minimum: 1, description: 'Global, gap-free, increasing.' },
          recordedat: attribute("The log's time at append (RFC 3339).", { format: 'date-time' }),
          stream: attribute('The stream it was appended to, if any.'),
          version: { type: 'integer', minimum: 1, description: 'Its version within the stream.' },
        },
      },
    ],
  },
  EventInput: {
    type: 'object',
    description:
      'A plain-JSON event: `type` is required; a missing `id`, `time` or `specversion` is filled in and `source` defaults to the caller (or `http` without auth).',
    required: ['type'],
    properties: {
      type: { type: 'string' },
      id: { type: 'string' },
      source: { type: 'string' },
      data: {},
    },
    additionalProperties: true,
  },
  StreamEnvelope: {
    type: 'object',
    description:
      'Plain-JSON events appended to a stream with optimistic concurrency (the headers Herald-Stream and Herald-Expected-Version take precedence).',
    required: ['events'],
    properties: {
      stream: { type: 'string', minLength: 1 },
      expectedVersion: ref('schemas', 'ExpectedVersion'),
      events: { type: 'array', items: ref('schemas', 'EventInput') },
    },
  },
  ExpectedVersion: {
    description:
      "The stream's version before the batch: any (no check), no_stream, stream_exists, or the exact version of its last event.",
    oneOf: [
      { type: 'string', enum: ['any', 'no_stream', 'stream_exists'] },
      { type: 'integer', minimum: 0 },
    ],
  },
  ScheduleResult: {
    type: 'object',
    required: ['scheduled'],
    properties: {
      scheduled: {
        type: 'array',
        description:
          'One entry per event, in the order sent. They enter the log, and get positions, when due.',
        items: {
          type: 'object',
          required: ['id', 'deliverAt', 'duplicate'],
          properties: {
            id: { type: 'string' },
            deliverAt: {
              type: 'string',
              format: 'date-time',
              description: "When it is due; for a duplicate, the pending original's time.",
            },
            duplicate: {
              type: 'boolean',
              description: 'An event with this id was already pending: nothing was stored.',
            },
          },
        },
      },
    },
  },
  ScheduledPage: {
    type: 'object',
    required: ['scheduled', 'next'],
    properties: {
      scheduled: {
        type: 'array',
        description: 'Pending events the caller may read, in due order (then id).',
        items: {
          type: 'object',
          required: ['event', 'deliverAt', 'stream'],
          properties: {
            event: { $ref: '#/components/schemas/CloudEvent' },
            deliverAt: { type: 'string', format: 'date-time' },
            stream: { type: ['string', 'null'] },
          },
        },
      },
      next: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null at the end.' },
    },
  },
  AppendResult: {
    type: 'object',
    required: ['events'],
    properties: {
      events: {
        type: 'array',
        description: 'One entry per event, in the order sent.',
        items: {
          type: 'object',
          required: ['id', 'position', 'stream', 'version', 'duplicate'],
          properties: {
            id: { type: 'string' },
            position: { type: 'integer', minimum: 1 },
            stream: { type: ['string', 'null'] },
            version: { type: ['integer', 'null'] },
            duplicate: {
              type: 'boolean',
              description: 'The id was already stored: nothing was written; these are the original values.',
            },
          },
        },
      },
    },
  },
  EventPage: {
    type: 'object',
    required: ['events', 'next'],
    properties: {
      events: { type: 'array', items: ref('schemas', 'StoredEvent') },
      next: {
        type: 'integer',
        minimum: 0,
        description: 'Pass as `after` for the next page: the last position returned, or `after` when empty.',
      },
    },
  },
  StreamPage: {
    type: 'object',
    required: ['stream', 'version', 'events', 'next'],
    properties: {
      stream: { type: 'string' },
      version: { type: 'integer', minimum: 0, description: "The stream's current version (0: no event)." },
      events: { type: 'array', items: ref('schemas', 'StoredEvent') },
      next: {
        type: ['integer', 'null'],
        description: 'Pass as `fromVersion` for the next page; null at the end of the stream.',
      },
    },
  },
};
