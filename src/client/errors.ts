import type { HeraldErrorCode } from '../errors/codes.js';
import { HeraldError } from '../errors/herald-error.js';

/** A code of the hub's JSON errors: Herald's codes, and `INTERNAL` for a 500. */
export type HubErrorCode = HeraldErrorCode | 'INTERNAL';

/**
 * An error the hub answered (`{ "error": { "code", "message", "details" } }`), or a failure to
 * reach it: a `HeraldError` with the hub's `code` and `details`, plus the HTTP `status` (0 when no
 * response came) and the hub's `X-Request-Id`, which is on the hub's log line for the request.
 *
 * @example
 * ```ts
 * try {
 *   await hub.publish('order.created', order);
 * } catch (err) {
 *   if (err instanceof HubError && err.code === 'FORBIDDEN') console.error(err.message, err.details);
 * }
 * ```
 */
export class HubError extends HeraldError {
  readonly status: number;
  readonly requestId: string | undefined;

  constructor(
    code: HubErrorCode,
    message: string,
    options: {
      status: number;
      requestId?: string | undefined;
      details?: Record<string, unknown>;
      cause?: unknown;
    },
  ) {
    super(code as HeraldErrorCode, message, { details: options.details, cause: options.cause });
    this.status = options.status;
    this.requestId = options.requestId;
  }
}

/** The statuses a client may try again (with backoff): timeouts, rate limits, an unavailable hub. */
export function retryableStatus(status: number): boolean {
  return (
    status === 0 || status === 408 || status === 429 || status === 502 || status === 503 || status === 504
  );
}

const CODE_BY_STATUS: Record<number, HubErrorCode> = {
  400: 'INVALID_QUERY',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'LOG_UNREACHABLE',
};

/**
 * The `HubError` of a response that is not ok. A body that is not the hub's JSON error (a proxy's
 * HTML page, a server that is not a Herald hub) keeps a code for its status and says what came.
 *
 * @example
 * ```ts
 * if (!res.ok) throw await errorFromResponse(res, 'POST /v1/events');
 * ```
 */
export async function errorFromResponse(res: Response, what: string): Promise<HubError> {
  const requestId = res.headers.get('x-request-id') ?? undefined;
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const reply = new HubError(error.code as HubErrorCode, error.message, {
      status: res.status,
      requestId,
      details: isRecord(error.details) ? error.details : {},
    });
    hubReplies.add(reply);
    return reply;
  }
  const code = CODE_BY_STATUS[res.status] ?? 'INTERNAL';
  const type = res.headers.get('content-type') ?? 'no content type';
  return new HubError(
    code,
    `${what} answered ${res.status} with ${type}, not a Herald error (is this a Herald hub?)`,
    {
      status: res.status,
      requestId,
      details: { status: res.status, contentType: type, body: text.trim().slice(0, 200) },
    },
  );
}

const hubReplies = new WeakSet<HubError>();

/**
 * Whether `error` is the hub's own JSON error (its code and message as the hub sent them), not one
 * the client made up: a network failure, or a reply that was not the hub's (then `details` holds
 * the `status`, `contentType` and the start of the `body` that came).
 *
 * @example
 * ```ts
 * if (isHubReply(err)) console.error(`the hub answered ${err.status} ${err.code}: ${err.message}`);
 * ```
 */
export function isHubReply(error: HubError): boolean {
  return hubReplies.has(error);
}

/**
 * The error for a hub that could not be reached (no response): `TRANSPORT_UNAVAILABLE`, status 0,
 * the network error as `cause`.
 *
 * @example
 * ```ts
 * unreachable('http://127.0.0.1:4021', err).message; // 'cannot reach the hub at http://127.0.0.1:4021: fetch failed'
 * ```
 */
export function unreachable(url: string, cause: unknown): HubError {
  let deepest: unknown = cause;
  while (deepest instanceof Error && deepest.cause !== undefined) deepest = deepest.cause;
  const reason = deepest instanceof Error ? deepest.message : String(deepest);
  return new HubError('TRANSPORT_UNAVAILABLE', `cannot reach the hub at ${url}: ${reason}`, {
    status: 0,
    details: { url },
    cause,
  });
}

/**
 * The error an aborted call rejects with: `ABORTED`, the signal's reason as `cause`.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw aborted(signal);
 * ```
 */
export function aborted(signal: AbortSignal): HeraldError {
  return new HeraldError('ABORTED', 'the operation was aborted', { cause: signal.reason });
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
