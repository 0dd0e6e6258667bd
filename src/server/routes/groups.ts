import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import type { ConsumerGroup, EventLog, GroupDeadLetter, GroupPending } from '../../log/types.js';
import { assertAdmin } from '../auth/principal.js';
import { groupByError, normalisedErrorOf } from '../groups/error-groups.js';
import { MAX_NORMALISED_ERROR } from '../groups/normalise-error.js';
import type { HubContext } from '../hub-context.js';
import { invalidField, jsonObjectBody } from './json-body.js';
import { integer, single } from './query-params.js';

const MAX_DEAD_LETTERS = 1_000;
/** Pending deliveries one page may hold (what `ConsumerGroup.pending` accepts). */
const MAX_PENDING = 1_000;
/** Positions one redrive or purge may name (the body limit bounds it too). */
const MAX_POSITIONS = 10_000;
/** Dead letters the errors route reads by default, and at most (also what a redrive by error reads). */
const DEFAULT_ERROR_SCAN = 10_000;
const MAX_ERROR_SCAN = 100_000;

/**
 * The admin routes of consumer groups and their dead letters, for admins only:
 * `GET /v1/groups`, `GET /v1/groups/:name`, `GET /v1/groups/:name/pending` (deliveries not yet
 * acked, a page at a time), `GET /v1/groups/:name/dead-letters` (a page at a time, each with its
 * normalised error), `GET /v1/groups/:name/dead-letters/errors` (grouped by normalised error),
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

  app.get('/v1/groups/:name/pending', async (request) => {
    assertAdmin(request.principal);
    const page = pageQuery(request, MAX_PENDING);
    const group = await existing(log, request);
    return { pending: (await group.pending(page)).map(pendingDelivery) };
  });

  app.get('/v1/groups/:name/dead-letters', async (request) => {
    assertAdmin(request.principal);
    const page = pageQuery(request, MAX_DEAD_LETTERS);
    const group = await existing(log, request);
    return { deadLetters: (await group.deadLetters(page)).map(deadLetter) };
  });

  app.get('/v1/groups/:name/dead-letters/errors', async (request) => {
    assertAdmin(request.principal);
    const query = request.query as Record<string, string | string[] | undefined>;
    const limit = integer(single(query.limit) ?? String(DEFAULT_ERROR_SCAN), 'limit', 1, MAX_ERROR_SCAN);
    const group = await existing(log, request);
    const { deadLetters, truncated } = await firstDeadLetters(group, limit);
    return { errors: groupByError(deadLetters), scanned: deadLetters.length, truncated };
  });

  app.post('/v1/groups/:name/dead-letters/redrive', async (request) => {
    assertAdmin(request.principal);
    const body = jsonObjectBody(request, ['positions', 'error'], '{"positions": [3, 7]}');
    const error = errorIn(body);
    const positions = positionsIn(body);
    const group = await existing(log, request);
    if (error === undefined) return { redriven: await group.redrive(positions) };
    // By normalised error: the matching positions among the first MAX_ERROR_SCAN dead letters.
    const { deadLetters, truncated } = await firstDeadLetters(group, MAX_ERROR_SCAN);
    const matching = deadLetters.filter((d) => normalisedErrorOf(d) === error).map((d) => d.event.position);
    return { redriven: matching.length === 0 ? 0 : await group.redrive(matching), truncated };
  });

  app.post('/v1/groups/:name/dead-letters/purge', async (request) => {
    assertAdmin(request.principal);
    const positions = positionsIn(jsonObjectBody(request, ['positions'], '{"positions": [3, 7]}'));
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

/** `limit` (1..max, default 100) and `after` (a position, default 0) of a page's query. */
function pageQuery(request: FastifyRequest, max: number): { limit: number; after: number } {
  const query = request.query as Record<string, string | string[] | undefined>;
  return {
    limit: integer(single(query.limit) ?? '100', 'limit', 1, max),
    after: integer(single(query.after) ?? '0', 'after', 0, Number.MAX_SAFE_INTEGER),
  };
}

function deadLetter(dead: GroupDeadLetter) {
  return {
    event: dead.event,
    deliveries: dead.deliveries,
    error: dead.error ?? null,
    normalisedError: normalisedErrorOf(dead),
    at: dead.at,
  };
}

function pendingDelivery(pending: GroupPending) {
  return {
    event: pending.event,
    deliveries: pending.deliveries,
    error: pending.error ?? null,
    dueAt: pending.dueAt,
  };
}

/** The first `limit` dead letters of a group, and whether it has more (one more is read to know). */
async function firstDeadLetters(
  group: ConsumerGroup,
  limit: number,
): Promise<{ deadLetters: GroupDeadLetter[]; truncated: boolean }> {
  const deadLetters = await group.deadLetters({ limit: limit + 1 });
  const truncated = deadLetters.length > limit;
  if (truncated) deadLetters.length = limit;
  return { deadLetters, truncated };
}

/**
 * The `error` of a redrive body: a normalised error (a string of at most 500 characters), `null`
 * for the dead letters with no error, or `undefined` when absent. Refused together with `positions`.
 */
function errorIn(body: Record<string, unknown> | undefined): string | null | undefined {
  if (body === undefined || !('error' in body)) return undefined;
  const error = body.error;
  if ('positions' in body) {
    throw new HeraldError('INVALID_QUERY', 'give "positions" or "error", not both', {
      details: { parameter: 'error', fields: ['positions', 'error'] },
    });
  }
  if (error === null) return null;
  if (typeof error !== 'string' || error.length > MAX_NORMALISED_ERROR) {
    throw bad(
      'error',
      `error must be a normalised error (a string of at most ${MAX_NORMALISED_ERROR} characters, as GET .../dead-letters/errors lists it) or null`,
      error,
    );
  }
  return error;
}

/**
 * The `positions` of a redrive or purge body (parsed by `jsonObjectBody`, which refuses unknown
 * fields, so a typo such as `{"position": [3]}` cannot act on every dead letter): `undefined`
 * (every dead letter) for no body or no `positions`.
 */
function positionsIn(body: Record<string, unknown> | undefined): number[] | undefined {
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
