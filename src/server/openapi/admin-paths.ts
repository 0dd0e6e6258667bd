import { errors, json, ok, ref } from './refs.js';
import type { Operation, PathItem } from './types.js';

const ADMIN = 'Admins only (403 FORBIDDEN otherwise).';

const settle = (operationId: string, verb: string, result: string): Operation => ({
  operationId,
  summary: `${verb} dead letters of a group (all, or the positions given)`,
  description: `${ADMIN} No body or \`{}\` acts on every dead letter; \`{"positions": []}\` on none. Positions that are not dead letters are skipped.`,
  tags: ['admin'],
  parameters: [ref('parameters', 'GroupName')],
  requestBody: { required: false, content: json(ref('schemas', 'PositionsBody')) },
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
  '/v1/groups/{name}/dead-letters': {
    get: {
      operationId: 'listDeadLetters',
      summary: "A group's dead letters, in position order",
      description: ADMIN,
      tags: ['admin'],
      parameters: [ref('parameters', 'GroupName'), ref('parameters', 'Limit')],
      responses: {
        '200': ok('The first `limit` dead letters.', ref('schemas', 'DeadLetterList')),
        ...errors(400, 401, 403, 404, 429, 503),
      },
    },
  },
  '/v1/groups/{name}/dead-letters/redrive': {
    post: settle('redriveDeadLetters', 'Redrive', 'Redriven'),
  },
  '/v1/groups/{name}/dead-letters/purge': {
    post: settle('purgeDeadLetters', 'Purge', 'Purged'),
  },
};
