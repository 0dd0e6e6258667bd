import { errors, json, ok, ref } from './refs.js';
import type { Operation, PathItem } from './types.js';

const SETTLE =
  "Each receipt is settled at most once per request and reported in `results`, in request order: `unknown` (never issued by this hub, issued for another group or caller, already settled, or forgotten when the hub held `groups.maxReceipts`), `expired` (the group's ack wait passed: the event is being redelivered) and `failed` (the log refused; `error` says why, the receipt is kept) are reported, not fatal. A receipt works only on the hub that issued it.";

const settle = (operationId: string, summary: string, body: string, extra: string): Operation => ({
  operationId,
  summary,
  description: `${extra} ${SETTLE}`,
  tags: ['groups'],
  parameters: [ref('parameters', 'ConsumedGroupName')],
  requestBody: { required: true, content: json(ref('schemas', body)) },
  responses: {
    '200': ok('What became of each receipt.', ref('schemas', 'SettleResults')),
    ...errors(400, 401, 413, 415, 429, 503),
  },
});

/**
 * The routes of consumer-group members over HTTP: pull, ack, nack.
 *
 * @example
 * ```ts
 * const paths = { ...CONSUME_PATHS };
 * ```
 */
export const CONSUME_PATHS: Readonly<Record<string, PathItem>> = {
  '/v1/groups/{name}/pull': {
    post: {
      operationId: 'pullGroup',
      summary: 'Pull deliveries of a consumer group (long poll)',
      description:
        "Opens the group: a new group is created with the options given; an existing group keeps the options it was created with, and options given in the pull must equal them (409 `GROUP_OPTIONS_CONFLICT` otherwise; change them with `PATCH /v1/groups/{name}`). Then returns up to `max` deliveries: due redeliveries first, then new events in position order, waiting up to `waitMs` for the first. Each delivery goes to one member of the group and carries a receipt to ack or nack; unsettled deliveries come back after the group's `ackWaitMs`. The caller needs `subscribe` grants covering `types` and an existing group's types (a new group without `types` takes the caller's grants as its types); a delivery of an event the caller may not read is never sent (it stays unsettled and comes back after the ack wait). Ends early, with what it has, when the client disconnects or the hub shuts down.",
      tags: ['groups'],
      parameters: [ref('parameters', 'ConsumedGroupName')],
      requestBody: { required: false, content: json(ref('schemas', 'PullBody')) },
      responses: {
        '200': ok('The deliveries (possibly none).', ref('schemas', 'PullResult')),
        ...errors(400, 401, 403, 409, 413, 415, 429, 503),
      },
    },
  },
  '/v1/groups/{name}': {
    patch: {
      operationId: 'updateGroup',
      summary: "Change a consumer group's options",
      description:
        "Changes the options given (`types`, `ackWaitMs`, `maxDeliveries`, `backoff`); the others stay. The caller's `subscribe` grants must cover the group's current types and the new ones (an admin covers all). Deliveries pending under the old types that the new types do not match leave the group.",
      tags: ['groups'],
      parameters: [ref('parameters', 'ConsumedGroupName')],
      requestBody: { required: true, content: json(ref('schemas', 'GroupUpdateBody')) },
      responses: {
        '200': ok('The group with its options now.', ref('schemas', 'GroupUpdated')),
        ...errors(400, 401, 403, 404, 413, 415, 429, 503),
      },
    },
  },
  '/v1/groups/{name}/ack': {
    post: settle(
      'ackGroup',
      'Acknowledge deliveries: the group is done with their events',
      'AckBody',
      'Marks the events of the receipts handled by the group.',
    ),
  },
  '/v1/groups/{name}/nack': {
    post: settle(
      'nackGroup',
      'Hand deliveries back: redelivered after a delay, or dead-lettered',
      'NackBody',
      "Hands the events back: redelivered after `delayMs` (default: the group's backoff), or dead-lettered once delivered `maxDeliveries` times, or at once with `deadLetter: true`.",
    ),
  },
};
