import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import type { ExpectedVersion, ReadOptions, StoredEvent } from '../../log/types.js';
import { assertCanPublish, readPatterns } from '../auth/principal.js';
import { assertCanUseStream } from '../auth/stream-grants.js';
import type { HubContext } from '../hub-context.js';
import { parseIngest } from '../parse-ingest.js';
import { integer, patternList, single } from './query-params.js';
import { deliveryTiming } from './scheduled.js';

const MAX_PAGE = 1_000;

/**
 * `POST /v1/events` (CloudEvents ingest), `GET /v1/events` (query), `GET /v1/events/{id}` and
 * `GET /v1/streams/{stream}`. Every event published must be allowed to the caller; every event
 * read is filtered by what the caller may read; a stream named by the request (appended to, read
 * by name, its version) must be among the caller's stream grants.
 */
export function eventRoutes(app: FastifyInstance, ctx: HubContext): void {
  const { log } = ctx;

  app.post('/v1/events', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const who = request.principal;
    const source = who.id === 'anonymous' ? ctx.defaultSource : `/clients/${encodeURIComponent(who.id)}`;
    const parsed = parseIngest(request.headers, body, source);
    for (const event of parsed.events) assertCanPublish(who, event.type);
    const stream = single(request.headers['herald-stream']) ?? parsed.stream;
    const expectedHeader = single(request.headers['herald-expected-version']);
    const expected =
      expectedHeader !== undefined
        ? expectedVersion(expectedHeader, 'Herald-Expected-Version')
        : parsed.expectedVersion !== undefined
          ? expectedVersion(parsed.expectedVersion, 'expectedVersion')
          : undefined;
    if (stream !== undefined) assertCanUseStream(who, stream);
    if (expected !== undefined && stream === undefined) {
      throw new HeraldError('INVALID_QUERY', 'an expected version needs a stream (Herald-Stream)', {
        details: { parameter: 'Herald-Stream' },
      });
    }
    const timing = deliveryTiming(request.headers, parsed.events);
    if (timing !== undefined) {
      if (expected !== undefined) {
        throw new HeraldError(
          'INVALID_QUERY',
          'an expected version cannot be checked for a scheduled delivery',
          {
            details: { parameter: 'Herald-Expected-Version' },
          },
        );
      }
      // 202: stored in the schedule; it enters the log (and gets its position) when due.
      const scheduled = await log.schedule(parsed.events, {
        ...timing,
        ...(stream !== undefined && { stream }),
      });
      ctx.metrics.scheduled(scheduled.filter((s) => !s.duplicate).length);
      return reply.status(202).send({ scheduled });
    }
    const appended = await log.append(parsed.events, {
      ...(stream !== undefined && { stream }),
      ...(expected !== undefined && { expectedVersion: expected }),
    });
    // One counter update per run of events of the same type: a batch is mostly of a few types.
    let fresh = 0;
    let runType = '';
    let run = 0;
    for (let i = 0; i < appended.length; i++) {
      if (appended[i]!.duplicate) continue;
      fresh++;
      const type = parsed.events[i]!.type;
      if (run > 0 && type !== runType) {
        ctx.metrics.published(runType, run);
        run = 0;
      }
      runType = type;
      run++;
    }
    if (run > 0) ctx.metrics.published(runType, run);
    return reply.status(appended.length > 0 && fresh === 0 ? 200 : 201).send({
      events: appended.map((a) => ({
        id: a.id,
        position: a.position,
        stream: a.stream ?? null,
        version: a.version ?? null,
        duplicate: a.duplicate,
      })),
    });
  });

  app.get('/v1/events', async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const limit = integer(query.limit ?? '100', 'limit', 1, MAX_PAGE);
    const after = integer(query.after ?? '0', 'after', 0, Number.MAX_SAFE_INTEGER);
    const types = readPatterns(request.principal, patternList(query.types));
    if (query.stream !== undefined) assertCanUseStream(request.principal, query.stream);
    const read: ReadOptions = {
      from: after + 1,
      limit,
      ...(types !== undefined && { types }),
      ...(query.stream !== undefined && { stream: query.stream }),
      ...(query.correlationid !== undefined && { correlationId: query.correlationid }),
      ...(query.since !== undefined && { after: time(query.since, 'since') }),
      ...(query.until !== undefined && { before: time(query.until, 'until') }),
    };
    const events: StoredEvent[] = [];
    for await (const event of log.read(read)) events.push(event);
    return { events, next: events.length > 0 ? events[events.length - 1]!.position : after };
  });

  app.get('/v1/events/:id', async (request) => {
    const { id } = request.params as { id: string };
    const event = await log.get(id);
    // An event the caller may not read is reported as missing: its existence is not leaked.
    if (!event || !request.principal.canSubscribe(event.type)) {
      throw new HeraldError('NOT_FOUND', `no event with id "${id}"`, { details: { id } });
    }
    return event;
  });

  app.get('/v1/streams/:stream', async (request) => {
    const { stream } = request.params as { stream: string };
    assertCanUseStream(request.principal, stream);
    const query = request.query as Record<string, string | undefined>;
    const limit = integer(query.limit ?? '100', 'limit', 1, MAX_PAGE);
    const fromVersion = integer(query.fromVersion ?? '1', 'fromVersion', 1, Number.MAX_SAFE_INTEGER);
    const types = readPatterns(request.principal, undefined);
    const events: StoredEvent[] = [];
    for await (const event of log.read({ stream, fromVersion, limit, ...(types && { types }) })) {
      events.push(event);
    }
    const version = await log.streamVersion(stream);
    const last = events[events.length - 1];
    return {
      stream,
      version,
      events,
      next: last?.version !== undefined && last.version < version ? last.version + 1 : null,
    };
  });
}

function expectedVersion(value: unknown, name: string): ExpectedVersion {
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') return integer(value, name, 0, Number.MAX_SAFE_INTEGER);
  throw new HeraldError(
    'INVALID_QUERY',
    `${name} must be any, no_stream, stream_exists or a version, got ${JSON.stringify(value)}`,
    { details: { parameter: name, value } },
  );
}

function time(value: string, name: string): string {
  if (Number.isNaN(Date.parse(value))) {
    throw new HeraldError('INVALID_QUERY', `${name} must be an RFC 3339 time, got "${value}"`, {
      details: { parameter: name, value },
    });
  }
  return value;
}
