import { HeraldError } from '../../errors/herald-error.js';
import { timestampMillis } from '../../event/timestamp.js';
import type { EventLog } from '../../log/types.js';

/** Where a live client asks to start, as it sent it (SSE query and header, or a WS message). */
export interface StartRequest {
  /** `start`, `end` (the default), a position (inclusive) or an RFC 3339 time. */
  from?: string | undefined;
  /** The last id the client received; wins over `from` (that is how a reconnect resumes). */
  lastEventId?: string | undefined;
  /** How the caller calls these two, for error messages (default `from` and `lastEventId`). */
  names?: { from: string; lastEventId: string };
}

/** Where a live client starts, and what it cannot get any more. */
export interface StartPoint {
  /** The client gets the events after this position. */
  after: number;
  /** Positions it asked for that the log no longer holds (retention), inclusive. */
  lost?: { from: number; to: number };
  /** Its last id is past the end of the log (the log was replaced): it starts at the end. */
  reset?: { requested: number; last: number };
}

const POSITION = /^\d{1,16}$/;

/**
 * Resolves a client's start: its last id (resume), else `from`. A resume or a position whose
 * events retention already deleted reports them in `lost` and starts at the oldest kept event.
 * A time starts at the first event recorded at or after it (the end when none is).
 * `feedHead` is the last position the hub's tail has seen, which may be ahead of the log's
 * bounds when retention emptied it. Throws `INVALID_QUERY` naming the parameter.
 *
 * @example
 * ```ts
 * const start = await resolveStart(log, feed.head, { lastEventId: request.headers['last-event-id'] });
 * if (start.lost) reply.header('herald-events-lost', `${start.lost.from}-${start.lost.to}`);
 * ```
 */
export async function resolveStart(
  log: EventLog,
  feedHead: number,
  request: StartRequest,
): Promise<StartPoint> {
  const names = request.names ?? { from: 'from', lastEventId: 'lastEventId' };
  const { lastEventId, from } = request;
  if (lastEventId !== undefined && lastEventId !== '') {
    return resume(log, feedHead, position(lastEventId, names.lastEventId, 0));
  }
  if (from === undefined || from === '' || from === 'end') return { after: (await log.bounds()).last };
  if (from === 'start') return { after: 0 };
  if (POSITION.test(from)) return resume(log, feedHead, position(from, names.from, 1) - 1);
  const millis = timestampMillis(from);
  if (Number.isNaN(millis)) {
    throw new HeraldError(
      'INVALID_QUERY',
      `${names.from} must be start, end, a position or an RFC 3339 time, got "${from}"`,
      { details: { parameter: names.from, value: from } },
    );
  }
  const { last } = await log.bounds();
  for await (const event of log.read({ from: new Date(millis), limit: 1 })) {
    return { after: event.position - 1 };
  }
  return { after: last };
}

async function resume(log: EventLog, feedHead: number, after: number): Promise<StartPoint> {
  const bounds = await log.bounds();
  const last = Math.max(bounds.last, feedHead);
  if (after > last) return { after: last, reset: { requested: after, last } };
  // An empty log that once held events (the tail saw them) lost all of them.
  const firstKept = bounds.first > 0 ? bounds.first : last + 1;
  if (firstKept > after + 1) return { after, lost: { from: after + 1, to: firstKept - 1 } };
  return { after };
}

function position(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!POSITION.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new HeraldError(
      'INVALID_QUERY',
      `${name} must be a position (an integer from ${min}), got "${value}"`,
      { details: { parameter: name, value } },
    );
  }
  return n;
}
