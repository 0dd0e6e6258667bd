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
    required: ['event', 'deliveries', 'error', 'at'],
    properties: {
      event: ref('schemas', 'StoredEvent'),
      deliveries: count('How many times it was delivered before the group gave up.'),
      error: { type: ['string', 'null'], description: 'The last error a consumer reported.' },
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
  PositionsBody: {
    type: 'object',
    description:
      'No body, or no `positions`, means every dead letter of the group. Unknown fields are refused.',
    properties: {
      positions: { type: 'array', maxItems: 10_000, items: { type: 'integer', minimum: 1 } },
    },
    additionalProperties: false,
  },
  Redriven: {
    type: 'object',
    required: ['redriven'],
    properties: {
      redriven: count('Dead letters put back to be delivered again (positions not dead are skipped).'),
    },
  },
  Purged: {
    type: 'object',
    required: ['purged'],
    properties: { purged: count('Dead letters deleted.') },
  },
};
