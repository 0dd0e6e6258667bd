import type { HeraldEvent } from '../event/types.js';
import { errorFromResponse, HubError, retryableStatus, unreachable, type HubErrorCode } from './errors.js';
import { hubFetch, hubHeaders, type HttpContext } from './http.js';
import { SseParser, type SseEvent } from './sse-parser.js';
import { backoffDelay, retryAfterMs, sleep, type RetryOptions } from './timing.js';

/**
 * Where a first connection starts: `'end'` (default, only new events), `'start'` (or `0`), a
 * position (inclusive), or a time (the first event recorded at or after it).
 */
export type From = 'start' | 'end' | number | Date;

/** Positions the hub's log no longer holds (retention deleted them), inclusive. */
export interface LostRange {
  readonly from: number;
  readonly to: number;
}

/** Said before each reconnect. */
export interface RetryInfo {
  /** Failures in a row so far (1 for the first). */
  readonly attempt: number;
  readonly delayMs: number;
  /** Why: the hub closed the stream, the network failed, or the hub answered a retryable error. */
  readonly error: HubError;
  /** The id the next connection resumes after (`Last-Event-ID`), if any. */
  readonly lastEventId: string | undefined;
}

/** Callbacks of a live stream. */
export interface StreamCallbacks {
  /** The hub accepted the stream (the first time and after each reconnect). */
  onOpen?: (info: { readonly reconnected: boolean }) => void;
  /** The hub's log no longer holds these positions: the stream continues after them. */
  onLost?: (lost: LostRange) => void;
  /** A `: herald: ...` comment from the hub (a shutdown, a slow client, a reset). */
  onNote?: (text: string) => void;
  /** About to reconnect. */
  onRetry?: (info: RetryInfo) => void;
}

/** What a stream asks the hub for, and how it retries. */
export interface StreamRequest extends StreamCallbacks {
  readonly patterns: readonly string[];
  readonly from?: From | undefined;
  readonly lastEventId?: string | undefined;
  readonly retry?: RetryOptions | undefined;
}

/** The state a stream shares with its owner: the position it has delivered up to. */
export interface StreamState {
  /** Sent as `Last-Event-ID` on the next connection (`undefined` before the first). */
  lastEventId: string | undefined;
}

const RESET = /past the end of the log/;

/**
 * Follows `GET /v1/sse` over `fetch` until `signal` aborts (resolves) or a failure that retrying
 * cannot fix (rejects with a `HubError`: 400, 401, 403, 404, a server that is not a hub). Events
 * are handed to `deliver` one at a time, and the connection is not read while a delivery is
 * pending (backpressure). It tracks the last event id (events and the hub's id-only keep-alives),
 * reconnects with exponential backoff and jitter from the hub's `retry:`, resumes with
 * `Last-Event-ID` (no gap, no duplicate: an event at or before the last delivered position is
 * dropped), and reports `Herald-Events-Lost` to `onLost`.
 *
 * @example
 * ```ts
 * const state = { lastEventId: undefined };
 * await follow(ctx, { patterns: ['order.>'], from: 'start' }, state, (e) => console.log(e), signal);
 * ```
 */
export async function follow(
  ctx: HttpContext,
  request: StreamRequest,
  state: StreamState,
  deliver: (event: HeraldEvent) => void | Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const initialMs = request.retry?.initialMs ?? 1_000;
  const maxMs = request.retry?.maxMs ?? 30_000;
  const maxAttempts = request.retry?.maxAttempts ?? Infinity;
  let serverRetry: number | undefined;
  let failures = 0;
  let opened = false;
  let lastDelivered = positionOf(state.lastEventId);
  if (state.lastEventId === undefined && request.lastEventId !== undefined) {
    state.lastEventId = request.lastEventId;
    lastDelivered = positionOf(request.lastEventId);
  }
  const path = ssePath(request);

  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    let problem: HubError;
    let waitAtLeast = 0;
    try {
      const headers = await hubHeaders(ctx, {
        accept: 'text/event-stream',
        ...(state.lastEventId !== undefined &&
          state.lastEventId !== '' && { 'last-event-id': state.lastEventId }),
      });
      const res = await hubFetch(ctx, pathFor(path, state, request.from), { headers }, signal);
      if (!res.ok) {
        const error = await errorFromResponse(res, 'GET /v1/sse');
        if (!retryableStatus(res.status)) throw error;
        waitAtLeast = retryAfterMs(res.headers.get('retry-after')) ?? 0;
        throw error;
      }
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream') || !res.body) {
        await res.body?.cancel().catch(() => undefined);
        throw new HubError('INTERNAL', `GET /v1/sse answered 200 with "${type}", not an event stream`, {
          status: 200,
          details: { status: 200, contentType: type },
        });
      }
      failures = 0;
      request.onOpen?.({ reconnected: opened });
      opened = true;
      const lost = parseLost(res.headers.get('herald-events-lost'));
      if (lost) request.onLost?.(lost);

      const batch: SseEvent[] = [];
      const parser = new SseParser(
        {
          onEvent: (event) => batch.push(event),
          onRetry: (ms) => (serverRetry = ms),
          onComment: (text) => {
            if (!text.startsWith('herald:')) return;
            if (RESET.test(text)) lastDelivered = undefined;
            request.onNote?.(text);
          },
        },
        state.lastEventId ?? '',
      );
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (error) {
            if (stopped()) return;
            throw unreachable(ctx.url, error);
          }
          const { done, value } = chunk;
          if (done) break;
          parser.push(value);
          for (const message of batch) {
            const event = parseEvent(message.data);
            const position = event.position;
            if (position === undefined || lastDelivered === undefined || position > lastDelivered) {
              await deliver(event);
              if (position !== undefined) lastDelivered = position;
            }
            state.lastEventId = message.lastEventId;
            if (stopped()) return;
          }
          batch.length = 0;
          state.lastEventId = parser.lastEventId;
        }
      } finally {
        reader.cancel().catch(() => undefined);
      }
      parser.end();
      problem = hubError('TRANSPORT_UNAVAILABLE', 'the hub closed the stream', 0);
    } catch (error) {
      if (stopped()) return;
      if (!(error instanceof HubError) || !retryableStatus(error.status)) throw error;
      problem = error;
    }
    failures++;
    if (failures > maxAttempts) throw problem;
    const delayMs = Math.max(waitAtLeast, backoffDelay(failures - 1, serverRetry ?? initialMs, maxMs));
    request.onRetry?.({ attempt: failures, delayMs, error: problem, lastEventId: state.lastEventId });
    await sleep(delayMs, signal);
  }
}

function hubError(code: HubErrorCode, message: string, status: number): HubError {
  return new HubError(code, message, { status });
}

function ssePath(request: StreamRequest): string {
  const types = request.patterns.map(encodeURIComponent).join(',');
  // Unnamed frames (no `event:` line) whatever the hub's default: the type is in the JSON.
  return `/v1/sse?named=false${types === '' ? '' : `&types=${types}`}`;
}

function pathFor(path: string, state: StreamState, from: From | undefined): string {
  if (state.lastEventId !== undefined && state.lastEventId !== '') return path;
  if (from === undefined || from === 'end') return path;
  let value: string;
  if (from instanceof Date) value = from.toISOString();
  else if (from === 'start' || from === 0) value = 'start';
  else value = String(from);
  return `${path}&from=${encodeURIComponent(value)}`;
}

function positionOf(id: string | undefined): number | undefined {
  if (id === undefined || !/^\d+$/.test(id)) return undefined;
  return Number(id);
}

function parseLost(value: string | null): LostRange | undefined {
  const match = value === null ? null : /^(\d+)-(\d+)$/.exec(value);
  return match ? { from: Number(match[1]), to: Number(match[2]) } : undefined;
}

function parseEvent(data: string): HeraldEvent {
  try {
    return JSON.parse(data) as HeraldEvent;
  } catch (error) {
    throw new HubError('INVALID_EVENT', `the hub sent an event that is not JSON: ${data.slice(0, 80)}`, {
      status: 200,
      cause: error,
    });
  }
}
