import Fastify, { type FastifyInstance } from 'fastify';
import { HeraldError } from '../errors/herald-error.js';
import type { EventLog, ReadOptions, StoredEvent } from '../log/types.js';
import { sendError } from './http-errors.js';
import { parseIngest } from './parse-ingest.js';

/** Options of `createServer`. */
export interface ServerOptions {
  log: EventLog;
  /** Largest request body in bytes (default 1 MiB); larger gets 413 `PAYLOAD_TOO_LARGE`. */
  bodyLimit?: number;
  /** `source` of plain-JSON events that set none (default `'http'`). */
  defaultSource?: string;
  /** Fastify's logger option (default off). */
  logger?: boolean;
}

const MAX_PAGE = 1_000;

/**
 * The hub's HTTP API on an event log (a first slice of `herald serve`): CloudEvents ingest at
 * `POST /v1/events` (structured, batch, binary and plain JSON), queries at `GET /v1/events` and
 * `GET /v1/events/:id`, and `GET /healthz` / `GET /readyz`. Errors are `{ error: { code, message,
 * details } }` with the codes of `docs/errors.md`.
 *
 * @example
 * ```ts
 * const app = createServer({ log: await sqliteLog({ path: './herald-data/events.db' }) });
 * await app.listen({ host: '127.0.0.1', port: 4021 });
 * ```
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const { log } = options;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 1_048_576 });
  // Every body arrives as bytes: the CloudEvents binding decides by content type and ce-* headers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(sendError);

  app.post('/v1/events', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const { events } = parseIngest(request.headers, body, options.defaultSource ?? 'http');
    const stream = header(request.headers['herald-stream']);
    const expected = header(request.headers['herald-expected-version']);
    const appended = await log.append(events, {
      ...(stream !== undefined && { stream }),
      ...(expected !== undefined && { expectedVersion: expectedVersion(expected) }),
    });
    const allDuplicates = appended.length > 0 && appended.every((a) => a.duplicate);
    return reply.status(allDuplicates ? 200 : 201).send({
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
    const read: ReadOptions = {
      from: after + 1,
      limit,
      ...(query.types !== undefined && { types: query.types.split(',').filter(Boolean) }),
      ...(query.stream !== undefined && { stream: query.stream }),
      ...(query.correlationid !== undefined && { correlationId: query.correlationid }),
      ...(query.since !== undefined && { after: query.since }),
      ...(query.until !== undefined && { before: query.until }),
    };
    const events: StoredEvent[] = [];
    for await (const event of log.read(read)) events.push(event);
    return { events, next: events.length > 0 ? events[events.length - 1]!.position : after };
  });

  app.get('/v1/events/:id', async (request) => {
    const { id } = request.params as { id: string };
    const event = await log.get(id);
    if (!event) throw new HeraldError('NOT_FOUND', `no event with id "${id}"`, { details: { id } });
    return event;
  });

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await log.bounds();
      return { status: 'ready' };
    } catch (error) {
      return reply
        .status(503)
        .send({ error: { code: 'LOG_UNREACHABLE', message: (error as Error).message, details: {} } });
    }
  });
  return app;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function expectedVersion(value: string): 'any' | 'no_stream' | 'stream_exists' | number {
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  return integer(value, 'Herald-Expected-Version', 0, Number.MAX_SAFE_INTEGER);
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new HeraldError(
      'INVALID_QUERY',
      `${name} must be an integer from ${min} to ${max}, got "${value}"`,
      {
        details: { parameter: name, value },
      },
    );
  }
  return n;
}
