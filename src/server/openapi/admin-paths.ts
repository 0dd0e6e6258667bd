import { errors, json, ok, ref } from './refs.js';
import type { Operation, Parameter, PathItem } from './types.js';

const ADMIN = 'Admins only (403 FORBIDDEN otherwise).';

/** `after` of a page in position order. */
const after = (what: string): Parameter => ({
  name: 'after',
  in: 'query',
  description: `Only ${what} at positions above this one (default 0: from the first). Pass the last position of a page for the next page.`,
  schema: { type: 'integer', minimum: 0, default: 0 },
});

const settle = (
  operationId: string,
  verb: string,
  result: string,
  body: string,
  more = { summary: '', description: '' },
): Operation => ({
  operationId,
  summary: `${verb} dead letters of a group (all, or the positions given${more.summary})`,
  description: `${ADMIN} No body or \`{}\` acts on every dead letter; \`{"positions": []}\` on none. Positions that are not dead letters are skipped.${more.description}`,
  tags: ['admin'],
  parameters: [ref('parameters', 'GroupName')],
  requestBody: { required: false, content: json(ref('schemas', body)) },
  responses: {
    '200': ok(`How many were ${verb.toLowerCase()}d.`, ref('schemas', result)),
    ...errors(400, 401, 403, 404, 413, 415, 429, 503),
  },
});

/**
 * The admin routes: consumer groups and their dead letters.
 *
 * @example
 * ```ts
 * const paths = { ...ADMIN_PATHS };
 * ```
 */
export const ADMIN_PATHS: Readonly<Record<string, PathItem>> = {
  '/v1/groups': {
    get: {
      operationId: 'listGroups',
      summary: 'List the consumer groups with their progress',
      description: ADMIN,
      tags: ['admin'],
      responses: {
        '200': ok('Every group, by name.', ref('schemas', 'GroupList')),
        ...errors(401, 403, 429, 503),
      },
    },
  },
  '/v1/groups/{name}': {
    get: {
      operationId: 'getGroup',
      summary: "One consumer group's progress and options",
      description: ADMIN,
      tags: ['admin'],
      parameters: [ref('parameters', 'GroupName')],
      responses: {
        '200': ok('The group.', ref('schemas', 'GroupDetail')),
        ...errors(401, 403, 404, 429, 503),
      },
    },
  },
  '/v1/groups/{name}/pending': {
    get: {
      operationId: 'listPendingDeliveries',
      summary: "A group's deliveries not yet acked, in position order",
      description: `${ADMIN} Deliveries in a member's hands or waiting to be redelivered (a nack's delay, an expired ack deadline, a redriven dead letter), each with its delivery count, last error and when it is due again. On NATS only the deliveries this hub handed out are known (see docs/nats.md).`,
      tags: ['admin'],
      parameters: [ref('parameters', 'GroupName'), after('deliveries'), ref('parameters', 'Limit')],
      responses: {
        '200': ok('The first `limit` pending deliveries above `after`.', ref('schemas', 'PendingList')),
        ...errors(400, 401, 403, 404, 429, 503),
      },
    },
  },
  '/v1/groups/{name}/members': {
    get: {
      operationId: 'listGroupMembers',
      summary: 'The members of a group that pulled through this hub',
      description: `${ADMIN} Each caller (principal id) that pulled the group over HTTP through this hub: its last pull, pulls and deliveries since the hub started, and the receipts it holds now. In memory, per hub (other hubs answer for their own callers), at most 1,000 members per group and 1,000 groups (the least recently pulling are forgotten). Broker members in other processes are not listed.`,
      tags: ['admin'],
      parameters: [ref('parameters', 'GroupName')],
      responses: {
        '200': ok('The members, the most recent pull first.', ref('schemas', 'MemberList')),
        ...errors(401, 403, 404, 429, 503),
      },
    },
  },
  '/v1/groups/{name}/dead-letters': {
    get: {
      operationId: 'listDeadLetters',
      summary: "A group's dead letters, in position order",
      description: `${ADMIN} Page through them with \`after\`; each carries its normalised error, the key of \`GET .../dead-letters/errors\` and of a redrive by error.`,
      tags: ['admin'],
      parameters: [ref('parameters', 'GroupName'), after('dead letters'), ref('parameters', 'Limit')],
      responses: {
        '200': ok('The first `limit` dead letters above `after`.', ref('schemas', 'DeadLetterList')),
        ...errors(400, 401, 403, 404, 429, 503),
      },
    },
  },
  '/v1/groups/{name}/dead-letters/errors': {
    get: {
      operationId: 'listDeadLetterErrors',
      summary: "A group's dead letters grouped by normalised error, most frequent first",
      description: `${ADMIN} Reads the first \`limit\` dead letters (in position order) and groups them by their error with numbers, ids, times and e-mail addresses replaced by placeholders (\`<n>\`, \`<id>\`, \`<time>\`, \`<email>\`); \`truncated\` says the group has more.`,
      tags: ['admin'],
      parameters: [
        ref('parameters', 'GroupName'),
        {
          name: 'limit',
          in: 'query',
          description: 'Read at most this many dead letters (1 to 100000, default 10000).',
          schema: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 },
        },
      ],
      responses: {
        '200': ok('The error groups.', ref('schemas', 'DeadLetterErrorList')),
        ...errors(400, 401, 403, 404, 429, 503),
      },
    },
  },
  '/v1/groups/{name}/dead-letters/redrive': {
    post: settle('redriveDeadLetters', 'Redrive', 'Redriven', 'RedriveBody', {
      summary: ', or those with one normalised error',
      description:
        ' `{"error": "<normalised error>"}` redrives the dead letters whose normalised error is exactly that string (as `GET .../dead-letters/errors` lists it; `null` for those with no error), among the first 100000; `error` and `positions` together are 400.',
    }),
  },
  '/v1/groups/{name}/dead-letters/purge': {
    post: settle('purgeDeadLetters', 'Purge', 'Purged', 'PositionsBody'),
  },
};
