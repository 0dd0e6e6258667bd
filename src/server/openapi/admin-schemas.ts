import { ref } from './refs.js';
import type { JsonSchema } from './types.js';

const count = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });

/**
 * The schemas of the admin routes: consumer groups and dead letters.
 *
 * @example
 * ```ts
 * const components = { schemas: { ...ADMIN_SCHEMAS } };
 * ```
 */
export const ADMIN_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  GroupInfo: {
    type: 'object',
    required: ['name', 'ackedPosition', 'deliveredPosition', 'pending', 'lag', 'deadLetters'],
    properties: {
      name: { type: 'string' },
      ackedPosition: count('Every matching event at or below this position was acked or dead-lettered.'),
      deliveredPosition: count('The highest position delivered so far.'),
      pending: count('Delivered and not yet acked (including those waiting for redelivery).'),
      lag: count('Matching events not yet delivered.'),
      deadLetters: count('Events the group gave up on.'),
    },
  },
  GroupDetail: {
    allOf: [
      ref('schemas', 'GroupInfo'),
      {
        type: 'object',
        required: ['options'],
        properties: {
          options: {
            type: 'object',
            description: "The group's options (set by the consumers that open it).",
            required: ['types', 'ackWaitMs', 'maxDeliveries', 'backoff'],
            properties: {
              types: { type: 'array', items: { type: 'string' } },
              ackWaitMs: { type: 'integer', minimum: 1 },
              maxDeliveries: { type: 'integer', minimum: 1 },
              backoff: { type: 'array', items: { type: 'integer', minimum: 0 } },
            },
          },
        },
      },
    ],
  },
  GroupList: {
    type: 'object',
    required: ['groups'],
    properties: { groups: { type: 'array', items: ref('schemas', 'GroupInfo') } },
  },
  DeadLetter: {
    type: 'object',
    required: ['event', 'deliveries', 'error', 'normalisedError', 'at'],
    properties: {
      event: ref('schemas', 'StoredEvent'),
      deliveries: count('How many times it was delivered before the group gave up.'),
      error: { type: ['string', 'null'], description: 'The last error a consumer reported.' },
      normalisedError: {
        type: ['string', 'null'],
        description:
          'The error with numbers, ids, times and e-mail addresses replaced by placeholders: what `GET .../dead-letters/errors` groups by and `POST .../redrive {"error"}` matches (`null`: no error).',
      },
      at: { type: 'string', format: 'date-time', description: 'When it was dead-lettered.' },
    },
  },
  DeadLetterList: {
    type: 'object',
    required: ['deadLetters'],
    properties: {
      deadLetters: {
        type: 'array',
        description: 'In position order.',
        items: ref('schemas', 'DeadLetter'),
      },
    },
  },
  PendingDelivery: {
    type: 'object',
    required: ['event', 'deliveries', 'error', 'dueAt'],
    properties: {
      event: ref('schemas', 'StoredEvent'),
      deliveries: count(
        'Times it has been delivered so far (0: a redriven dead letter not yet delivered again).',
      ),
      error: { type: ['string', 'null'], description: 'The error of its last nack, if any.' },
      dueAt: {
        type: 'string',
        format: 'date-time',
        description:
          "When it is delivered (again) if not acked: the ack deadline, or the end of a nack's delay.",
      },
    },
  },
  PendingList: {
    type: 'object',
    required: ['pending'],
    properties: {
      pending: {
        type: 'array',
        description: 'In position order.',
        items: ref('schemas', 'PendingDelivery'),
      },
    },
  },
  MemberList: {
    type: 'object',
    required: ['members'],
    properties: {
      members: {
        type: 'array',
        description: 'The most recent pull first.',
        items: {
          type: 'object',
          required: ['id', 'lastPullAt', 'pulls', 'delivered', 'held'],
          properties: {
            id: {
              type: 'string',
              description: "The caller's principal id (API key name, JWT sub, anonymous).",
            },
            lastPullAt: {
              type: 'string',
              format: 'date-time',
              description: 'Its last pull through this hub.',
            },
            pulls: count('Pulls through this hub since it started.'),
            delivered: count('Deliveries those pulls handed out.'),
            held: count('Receipts it holds now (not settled, ack wait not over).'),
          },
        },
      },
    },
  },
  PositionsBody: {
    type: 'object',
    description:
      'No body, or no `positions`, means every dead letter of the group. Unknown fields are refused.',
    properties: {
      positions: { type: 'array', maxItems: 10_000, items: { type: 'integer', minimum: 1 } },
    },
    additionalProperties: false,
  },
  RedriveBody: {
    type: 'object',
    description:
      'No body, or neither field, means every dead letter of the group. `positions` and `error` together are refused, and so are unknown fields.',
    properties: {
      positions: { type: 'array', maxItems: 10_000, items: { type: 'integer', minimum: 1 } },
      error: {
        type: ['string', 'null'],
        maxLength: 500,
        description:
          'A normalised error exactly as `GET /v1/groups/{name}/dead-letters/errors` lists it (`null`: the dead letters with no error).',
      },
    },
    additionalProperties: false,
  },
  Redriven: {
    type: 'object',
    required: ['redriven'],
    properties: {
      redriven: count('Dead letters put back to be delivered again (positions not dead are skipped).'),
      truncated: {
        type: 'boolean',
        description:
          'Only with `error`: the group has more than 100000 dead letters, and only the first 100000 were matched.',
      },
    },
  },
  DeadLetterErrorList: {
    type: 'object',
    required: ['errors', 'scanned', 'truncated'],
    properties: {
      errors: {
        type: 'array',
        description: 'By count (most first), then by `firstDeadAt`, then by `error`.',
        items: ref('schemas', 'DeadLetterError'),
      },
      scanned: count('Dead letters read (at most `limit`).'),
      truncated: { type: 'boolean', description: 'The group has more dead letters than were read.' },
    },
  },
  DeadLetterError: {
    type: 'object',
    required: ['error', 'count', 'firstDeadAt', 'lastDeadAt', 'positions', 'example'],
    properties: {
      error: {
        type: ['string', 'null'],
        description:
          'The normalised error (at most 500 characters), or `null` for dead letters with no error. Pass it as `error` to the redrive route.',
      },
      count: count('Dead letters read with this error.'),
      firstDeadAt: { type: 'string', format: 'date-time', description: 'The earliest dead-letter time.' },
      lastDeadAt: { type: 'string', format: 'date-time', description: 'The latest dead-letter time.' },
      positions: {
        type: 'array',
        maxItems: 20,
        description: 'Up to 20 sample positions, the lowest first.',
        items: { type: 'integer', minimum: 1 },
      },
      example: {
        type: ['string', 'null'],
        description:
          "The raw error of the group's latest dead letter (at most 1,000 characters, cut with …), or null.",
      },
    },
  },
  Purged: {
    type: 'object',
    required: ['purged'],
    properties: { purged: count('Dead letters deleted.') },
  },
};
