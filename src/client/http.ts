import { aborted, errorFromResponse, unreachable } from './errors.js';

/** A bearer token, or a function giving a fresh one for each request (a JWT about to expire). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

/** What every request of a client shares. */
export interface HttpContext {
  /** The hub's base URL, without a trailing slash. */
  readonly url: string;
  readonly token: TokenSource | undefined;
  readonly fetch: typeof fetch;
}

/**
 * The headers of a request to the hub: `extra`, and `Authorization: Bearer <token>` when the
 * client has a token (in a header, never in the URL).
 *
 * @example
 * ```ts
 * const headers = await hubHeaders(ctx, { accept: 'text/event-stream' });
 * ```
 */
export async function hubHeaders(ctx: HttpContext, extra: Record<string, string>): Promise<Headers> {
  const headers = new Headers(extra);
  const token = typeof ctx.token === 'function' ? await ctx.token() : ctx.token;
  if (token !== undefined && token !== '') headers.set('authorization', `Bearer ${token}`);
  return headers;
}

/**
 * `fetch` of `path` on the hub: a network failure becomes `TRANSPORT_UNAVAILABLE`, an abort
 * `ABORTED`; the response is returned as it came (ok or not).
 *
 * @example
 * ```ts
 * const res = await hubFetch(ctx, '/v1/events', { method: 'POST', body, headers }, signal);
 * ```
 */
export async function hubFetch(
  ctx: HttpContext,
  path: string,
  init: RequestInit,
  signal: AbortSignal | undefined,
): Promise<Response> {
  if (signal?.aborted) throw aborted(signal);
  try {
    return await ctx.fetch(`${ctx.url}${path}`, { ...init, ...(signal && { signal }) });
  } catch (error) {
    if (signal?.aborted) throw aborted(signal);
    throw unreachable(ctx.url, error);
  }
}

/**
 * POSTs `body` as JSON and returns the parsed JSON reply; a reply that is not ok rejects with the
 * hub's error as a `HubError`.
 *
 * @example
 * ```ts
 * const reply = await postJson<{ events: Published[] }>(ctx, '/v1/events', [event], signal);
 * ```
 */
export async function postJson<T>(
  ctx: HttpContext,
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
  extra: Record<string, string> = {},
): Promise<T> {
  return requestJson<T>(ctx, 'POST', path, body, signal, extra);
}

/**
 * Sends a request to the hub (a JSON body when `body` is not undefined) and returns the parsed
 * JSON reply; a reply that is not ok rejects with the hub's error as a `HubError`.
 *
 * @example
 * ```ts
 * const page = await requestJson<{ scheduled: unknown[] }>(ctx, 'GET', '/v1/scheduled', undefined, signal);
 * ```
 */
export async function requestJson<T>(
  ctx: HttpContext,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
  extra: Record<string, string> = {},
): Promise<T> {
  const headers = await hubHeaders(ctx, {
    ...(body !== undefined && { 'content-type': 'application/json' }),
    accept: 'application/json',
    ...extra,
  });
  const init: RequestInit = { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) };
  const res = await hubFetch(ctx, path, init, signal);
  if (!res.ok) throw await errorFromResponse(res, `${method} ${path}`);
  try {
    return (await res.json()) as T;
  } catch (error) {
    if (signal?.aborted) throw aborted(signal);
    throw unreachable(ctx.url, error);
  }
}
