import type { HeraldEvent } from '../event/types.js';
import { HubError, retryableStatus, type HubErrorCode } from './errors.js';
import type { StreamRequest, StreamState } from './follow.js';
import type { TokenSource } from './http.js';
import { backoffDelay, sleep } from './timing.js';

/** The part of the WHATWG `WebSocket` the client uses (browsers, Node 22+, the `ws` package). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A `WebSocket` constructor: `globalThis.WebSocket`, or `WebSocket` from the `ws` package on Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What a WebSocket stream needs from its client. */
export interface WsContext {
  readonly url: string;
  readonly token: TokenSource | undefined;
  readonly WebSocket: WebSocketConstructor | undefined;
}

/** Events received but not yet delivered before the client closes the socket and resumes later. */
const HIGH_WATER = 1_000;
const SUBSCRIPTION = 's';

const STATUS: Partial<Record<string, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  LOG_UNREACHABLE: 503,
  TRANSPORT_UNAVAILABLE: 503,
};

interface Outcome {
  /** The hub confirmed the subscription on this socket. */
  opened: boolean;
  error: HubError;
}

/**
 * `follow` over `GET /v1/ws`: the same contract (resolves on abort, rejects with a `HubError` the
 * hub answered the subscription with, delivers one event at a time, resumes with `lastEventId`
 * after every close with backoff and jitter, reports `lost`). A socket cannot be paused: events
 * wait in a queue while a delivery is pending, and past 1,000 of them the client closes the
 * socket and resumes from the last delivered position once it has caught up, so memory stays
 * bounded and nothing is lost. Browsers cannot set headers on a WebSocket, so the token goes in
 * the URL as `access_token` (the hub redacts it from its logs).
 *
 * @example
 * ```ts
 * await followWs(ctx, { patterns: ['order.>'] }, { lastEventId: undefined }, (e) => console.log(e), signal);
 * ```
 */
export async function followWs(
  ctx: WsContext,
  request: StreamRequest,
  state: StreamState,
  deliver: (event: HeraldEvent) => void | Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const WS = ctx.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WS === undefined) {
    throw new TypeError(
      'no WebSocket here: pass createClient({ WebSocket }) (on Node 20, from the ws package)',
    );
  }
  const initialMs = request.retry?.initialMs ?? 1_000;
  const maxMs = request.retry?.maxMs ?? 30_000;
  const maxAttempts = request.retry?.maxAttempts ?? Infinity;
  if (state.lastEventId === undefined && request.lastEventId !== undefined)
    state.lastEventId = request.lastEventId;
  const cursor = { lastDelivered: positionOf(state.lastEventId), opened: false };
  const stopped = (): boolean => signal.aborted;
  let failures = 0;
  while (!stopped()) {
    const token = typeof ctx.token === 'function' ? await ctx.token() : ctx.token;
    const outcome = await connect(new WS(wsUrl(ctx.url, token)), request, state, cursor, deliver, signal);
    if (stopped()) return;
    failures = outcome.opened ? 1 : failures + 1;
    if (failures > maxAttempts) throw outcome.error;
    const delayMs = backoffDelay(failures - 1, initialMs, maxMs);
    request.onRetry?.({
      attempt: failures,
      delayMs,
      error: outcome.error,
      lastEventId: state.lastEventId,
    });
    await sleep(delayMs, signal);
  }
}

function connect(
  ws: WebSocketLike,
  request: StreamRequest,
  state: StreamState,
  cursor: { lastDelivered: number | undefined; opened: boolean },
  deliver: (event: HeraldEvent) => void | Promise<void>,
  signal: AbortSignal,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const pending: HeraldEvent[] = [];
    let pumping = false;
    let closed: Outcome | undefined;
    let fatal: HubError | undefined;
    let opened = false;
    const onAbort = (): void => ws.close(1000, 'client closed');
    signal.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      if (pumping || closed === undefined) return;
      signal.removeEventListener('abort', onAbort);
      if (fatal && !signal.aborted) reject(fatal);
      else resolve(closed);
    };
    const pump = async (): Promise<void> => {
      if (pumping) return;
      pumping = true;
      try {
        while (pending.length > 0 && !signal.aborted && fatal === undefined) {
          const event = pending.shift()!;
          const position = event.position;
          if (
            position === undefined ||
            cursor.lastDelivered === undefined ||
            position > cursor.lastDelivered
          ) {
            await deliver(event);
            if (position !== undefined) cursor.lastDelivered = position;
          }
          if (position !== undefined) state.lastEventId = String(position);
        }
      } catch (error) {
        fatal =
          error instanceof HubError
            ? error
            : new HubError('INTERNAL', String(error), { status: 0, cause: error });
        ws.close(1000, 'client failed');
      } finally {
        pumping = false;
        finish();
      }
    };

    ws.onopen = () => {
      const start =
        state.lastEventId !== undefined && state.lastEventId !== ''
          ? { lastEventId: state.lastEventId }
          : startOf(request.from);
      const patterns = request.patterns.length > 0 ? { patterns: request.patterns } : {};
      ws.send(JSON.stringify({ type: 'subscribe', id: SUBSCRIPTION, ...patterns, ...start }));
    };
    ws.onmessage = (message) => {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(String(message.data)) as Record<string, unknown>;
      } catch {
        return;
      }
      if (data.type === 'event' && data.subscription === SUBSCRIPTION) {
        pending.push(data.event as HeraldEvent);
        if (pending.length > HIGH_WATER) ws.close(4000, 'client behind; resuming with lastEventId');
        void pump();
      } else if (data.type === 'subscribed' && data.id === SUBSCRIPTION) {
        opened = true;
        request.onOpen?.({ reconnected: cursor.opened });
        cursor.opened = true;
        const lost = data.lost as { from: number; to: number } | undefined;
        if (lost) request.onLost?.({ from: lost.from, to: lost.to });
        if (data.reset !== undefined) {
          cursor.lastDelivered = undefined;
          request.onNote?.(`herald: lastEventId is past the end of the log; starting at the end`);
        }
        if (pending.length === 0 && typeof data.after === 'number') state.lastEventId = String(data.after);
      } else if (data.type === 'error' && data.id === SUBSCRIPTION) {
        const code = String(data.code) as HubErrorCode;
        const error = new HubError(code, String(data.message), {
          status: STATUS[code] ?? 400,
          details: (data.details ?? {}) as Record<string, unknown>,
        });
        // An outage passes (a 503 code): the socket closes and the loop reconnects with backoff,
        // resuming after the last event delivered. Anything else is the caller's to fix.
        if (retryableStatus(error.status)) ws.close(1000, `${code}: ${error.message}; reconnecting`);
        else {
          fatal = error;
          ws.close(1000, 'subscription refused');
        }
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = (event) => {
      const reason = event.reason === '' ? `the socket closed (${event.code})` : event.reason;
      if (event.reason !== '') request.onNote?.(event.reason);
      closed = {
        opened,
        error: new HubError('TRANSPORT_UNAVAILABLE', reason, {
          status: 0,
          details: { closeCode: event.code },
        }),
      };
      finish();
    };
  });
}

function wsUrl(base: string, token: string | undefined): string {
  const url = `${base.replace(/^http/i, 'ws')}/v1/ws`;
  return token === undefined || token === '' ? url : `${url}?access_token=${encodeURIComponent(token)}`;
}

function startOf(from: StreamRequest['from']): { from?: string } {
  if (from === undefined || from === 'end') return {};
  if (from instanceof Date) return { from: from.toISOString() };
  if (from === 'start' || from === 0) return { from: 'start' };
  return { from: String(from) };
}

function positionOf(id: string | undefined): number | undefined {
  return id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined;
}
