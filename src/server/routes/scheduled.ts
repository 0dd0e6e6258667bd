import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { HeraldError } from '../../errors/herald-error.js';
import type { HeraldEvent } from '../../event/types.js';
import type { ScheduleOptions, ScheduledEvent } from '../../log/types.js';
import { assertAdmin } from '../auth/principal.js';
import type { HubContext } from '../hub-context.js';
import { integer, single } from './query-params.js';

const ISO_LENGTH = '2026-01-01T00:00:00.000Z'.length;

/**
 * When a POST /v1/events request asks for later delivery, or undefined for now: the
 * `Herald-Delay-Ms` or `Herald-Deliver-At` header (for the whole request), else the events'
 * `deliverat` extension attribute, which must then be the same on every event of the request
 * (`INVALID_EVENT` naming the first that differs: a request is scheduled whole, for one time).
 *
 * @example
 * ```ts
 * deliveryTiming({ 'herald-delay-ms': '5000' }, events); // { delayMs: 5000 }
 * ```
 */
export function deliveryTiming(
  headers: IncomingHttpHeaders,
  events: readonly HeraldEvent[],
): ScheduleOptions | undefined {
  const delay = single(headers['herald-delay-ms']);
  const at = single(headers['herald-deliver-at']);
  if (delay !== undefined && at !== undefined) {
    throw new HeraldError('INVALID_QUERY', 'give Herald-Delay-Ms or Herald-Deliver-At, not both', {
      details: { parameter: 'Herald-Deliver-At' },
    });
  }
  if (delay !== undefined) return { delayMs: integer(delay, 'Herald-Delay-Ms', 0, 10 * 366 * 86_400_000) };
  if (at !== undefined) return { deliverAt: at };
  const first = events[0]?.deliverat;
  const index = events.findIndex((event) => event.deliverat !== first);
  if (index >= 0) {
    throw new HeraldError(
      'INVALID_EVENT',
      `event ${index} has another deliverat than event 0: a request is scheduled for one time`,
      { details: { attribute: 'deliverat', rule: 'same-in-request', index } },
    );
  }
  if (first === undefined) return undefined;
  if (typeof first !== 'string') {
    throw new HeraldError('INVALID_EVENT', 'deliverat must be an RFC 3339 time string', {
      details: { attribute: 'deliverat', rule: 'timestamp', index: 0 },
    });
  }
  return { deliverAt: first };
}

/** `<deliverAt>_<id>`: the cursor of the next page. */
function cursor(entry: ScheduledEvent): string {
  return `${entry.deliverAt}_${entry.event.id}`;
}

function parseCursor(value: string): { deliverAt: string; id: string } {
  const deliverAt = value.slice(0, ISO_LENGTH);
  const id = value.slice(ISO_LENGTH + 1);
  if (value[ISO_LENGTH] !== '_' || Number.isNaN(Date.parse(deliverAt)) || id === '') {
    throw new HeraldError(
      'INVALID_QUERY',
      `after must be the next cursor of a previous page, got "${value}"`,
      {
        details: { parameter: 'after', value },
      },
    );
  }
  return { deliverAt, id };
}

/**
 * `GET /v1/scheduled` lists pending scheduled events in due order, only those the caller may read
 * (a page may hold fewer than `limit`; `next` is the cursor after the last one examined, `null` at
 * the end). `DELETE /v1/scheduled/{id}` cancels one (admin scope: the store does not say whose
 * event it is without a scan): 200 `{ cancelled: true }`, or 404 `NOT_FOUND` when nothing with
 * that id is pending (unknown, cancelled, or already taken by a mover).
 */
export function scheduledRoutes(app: FastifyInstance, ctx: HubContext): void {
  const { log } = ctx;

  app.get('/v1/scheduled', async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const limit = integer(query.limit ?? '100', 'limit', 1, 1000);
    const after = query.after === undefined ? undefined : parseCursor(query.after);
    const page = await log.scheduled({ limit, ...(after !== undefined && { after }) });
    const who = request.principal;
    return {
      scheduled: page
        .filter((entry) => who.canSubscribe(entry.event.type))
        .map((entry) => ({ ...entry, stream: entry.stream ?? null })),
      next: page.length === limit ? cursor(page[page.length - 1]!) : null,
    };
  });

  app.delete('/v1/scheduled/:id', async (request) => {
    assertAdmin(request.principal);
    const { id } = request.params as { id: string };
    if (!(await log.cancelScheduled(id))) {
      throw new HeraldError('NOT_FOUND', `no scheduled event with id "${id}" is pending`, {
        details: { id },
      });
    }
    return { id, cancelled: true };
  });
}
