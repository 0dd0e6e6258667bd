import { ref } from './refs.js';
import type { JsonSchema } from './types.js';

const receipts: JsonSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 1_000,
  description: 'Receipts returned by a pull of this group on this hub.',
  items: { type: 'string', minLength: 1, maxLength: 200 },
};

/**
 * The schemas of consumer-group consumption over HTTP.
 *
 * @example
 * ```ts
 * const components = { schemas: { ...CONSUME_SCHEMAS } };
 * ```
 */
export const CONSUME_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  GroupUpdateBody: {
    type: 'object',
    description: 'At least one option. Unknown fields are refused.',
    minProperties: 1,
    properties: {
      types: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string' } },
      ackWaitMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
      maxDeliveries: { type: 'integer', minimum: 1 },
      backoff: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: { type: 'integer', minimum: 0, maximum: 86_400_000 },
      },
    },
    additionalProperties: false,
  },
  GroupUpdated: {
    type: 'object',
    required: ['name', 'options'],
    properties: {
      name: { type: 'string' },
      options: {
        type: 'object',
        required: ['types', 'ackWaitMs', 'maxDeliveries', 'backoff'],
        properties: {
          types: { type: 'array', items: { type: 'string' } },
          ackWaitMs: { type: 'integer' },
          maxDeliveries: { type: 'integer' },
          backoff: { type: 'array', items: { type: 'integer' } },
        },
      },
    },
  },
  PullBody: {
    type: 'object',
    description: 'No body, or `{}`, takes every default. Unknown fields are refused.',
    properties: {
      types: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: { type: 'string' },
        description:
          "A new group's type patterns (default: the caller's `subscribe` grants). For an existing group they must equal its types.",
      },
      max: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000,
        default: 1,
        description: 'At most this many deliveries.',
      },
      waitMs: {
        type: 'integer',
        minimum: 0,
        maximum: 30_000,
        default: 0,
        description: 'How long to wait for a first delivery when none is ready.',
      },
      ackWaitMs: {
        type: 'integer',
        minimum: 1,
        maximum: 86_400_000,
        description: "A new group's ack wait (default 30,000); for an existing group it must equal its own.",
      },
      maxDeliveries: {
        type: 'integer',
        minimum: 1,
        description:
          "A new group's deliveries before an event becomes a dead letter (default 5); for an existing group it must equal its own.",
      },
      startAt: {
        oneOf: [
          { type: 'string', enum: ['start', 'end'] },
          { type: 'integer', minimum: 1 },
        ],
        description: 'Where a new group starts (default `end`); ignored when the group exists.',
      },
    },
    additionalProperties: false,
  },
  Delivery: {
    type: 'object',
    required: ['receipt', 'deliveryCount', 'event'],
    properties: {
      receipt: { type: 'string', description: 'Opaque; ack or nack it on the hub that issued it.' },
      deliveryCount: {
        type: 'integer',
        minimum: 1,
        description: '1 on the first delivery of this event to the group.',
      },
      event: ref('schemas', 'StoredEvent'),
    },
  },
  PullResult: {
    type: 'object',
    required: ['deliveries'],
    properties: { deliveries: { type: 'array', items: ref('schemas', 'Delivery') } },
  },
  AckBody: {
    type: 'object',
    required: ['receipts'],
    properties: { receipts },
    additionalProperties: false,
  },
  NackBody: {
    type: 'object',
    required: ['receipts'],
    properties: {
      receipts,
      delayMs: {
        type: 'integer',
        minimum: 0,
        maximum: 86_400_000,
        description: "Redeliver after this long (default: the group's backoff).",
      },
      error: {
        type: 'string',
        maxLength: 4_096,
        description: 'Kept as the last error (shown with a dead letter).',
      },
      deadLetter: { type: 'boolean', description: 'Dead-letter now, whatever the delivery count.' },
    },
    additionalProperties: false,
  },
  SettleResults: {
    type: 'object',
    required: ['results'],
    properties: {
      results: {
        type: 'array',
        description: 'One per receipt of the request, in its order.',
        items: {
          type: 'object',
          required: ['receipt', 'status'],
          properties: {
            receipt: { type: 'string' },
            status: { type: 'string', enum: ['acked', 'nacked', 'unknown', 'expired', 'failed'] },
            error: {
              type: 'object',
              description: 'With `failed`: why the log refused.',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};
