import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import type { ConsumerGroup, EventLog, GroupDeadLetter } from '../../log/types.js';
import { assertAdmin } from '../auth/principal.js';
import type { HubContext } from '../hub-context.js';
import { invalidField, jsonObjectBody } from './json-body.js';
import { integer, single } from './query-params.js';

const MAX_DEAD_LETTERS = 1_000;
/** Positions one redrive or purge may name (the body limit bounds it too). */
const MAX_POSITIONS = 10_000;

/**
 * The admin routes of consumer groups and their dead letters, for admins only:
 * `GET /v1/groups`, `GET /v1/groups/:name`, `GET /v1/groups/:name/dead-letters`,
 * `POST /v1/groups/:name/dead-letters/redrive` and `.../purge`. A name the log does not list is
 * 404 `NOT_FOUND`: these routes never create a group. See `docs/http-admin.md`.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * groupRoutes(app, { log, metrics: createHubMetrics(), defaultSource: 'http' });
 * ```
 */
export function groupRoutes(app: FastifyInstance, ctx: HubContext): void {
  const { log } = ctx;

  app.get('/v1/groups', async (request) => {
    assertAdmin(request.principal);
    const names = await log.groups();
    const groups = await Promise.all(names.map(async (name) => (await log.group(name)).info()));
    return { groups };
  });

  app.get('/v1/groups/:name', async (request) => {
    assertAdmin(request.principal);
    const group = await existing(log, request);
    const { types, ackWaitMs, maxDeliveries, backoff } = group.options;
    return { ...(await group.info()), options: { types, ackWaitMs, maxDeliveries, backoff } };
  });

  app.get('/v1/groups/:name/dead-letters', async (request) => {
    assertAdmin(request.principal);
    const query = request.query as Record<string, string | string[] | undefined>;
    const limit = integer(single(query.limit) ?? '100', 'limit', 1, MAX_DEAD_LETTERS);
    const group = await existing(log, request);
    return { deadLetters: (await group.deadLetters({ limit })).map(deadLetter) };
  });

  app.post('/v1/groups/:name/dead-letters/redrive', async (request) => {
    assertAdmin(request.principal);
    const positions = positionsOf(request);
    const group = await existing(log, request);
    return { redriven: await group.redrive(positions) };
  });

  app.post('/v1/groups/:name/dead-letters/purge', async (request) => {
    assertAdmin(request.principal);
    const positions = positionsOf(request);
    const group = await existing(log, request);
    return { purged: await group.purge(positions) };
  });
}

/** The group named in the path, only if it exists (`log.group` alone would create it). */
async function existing(log: EventLog, request: FastifyRequest): Promise<ConsumerGroup> {
  const { name } = request.params as { name: string };
  if (!(await log.groups()).includes(name)) {
    throw new HeraldError('NOT_FOUND', `no consumer group named "${name}"`, { details: { group: name } });
  }
  return log.group(name);
}

function deadLetter(dead: GroupDeadLetter) {
  return { event: dead.event, deliveries: dead.deliveries, error: dead.error ?? null, at: dead.at };
}

/**
 * The `positions` of a redrive or purge body: `undefined` (every dead letter) for no body or `{}`.
 * Unknown fields are refused, so a typo such as `{"position": [3]}` cannot act on every dead letter.
 */
function positionsOf(request: FastifyRequest): number[] | undefined {
  const body = jsonObjectBody(request, ['positions'], '{"positions": [3, 7]}');
  const positions = body?.positions;
  if (positions === undefined) return undefined;
  if (!Array.isArray(positions) || positions.length > MAX_POSITIONS) {
    throw bad('positions', `positions must be an array of at most ${MAX_POSITIONS} positions`, positions);
  }
  for (const position of positions) {
    if (!Number.isSafeInteger(position) || (position as number) < 1) {
      throw bad(
        'positions',
        `positions must be integers of 1 or more, got ${JSON.stringify(position)}`,
        position,
      );
    }
  }
  return positions as number[];
}

const bad = invalidField;
