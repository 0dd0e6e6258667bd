import { Option, type Command } from 'commander';
import { errorFromResponse, HubError, isHubReply } from '../client/errors.js';
import { hubFetch, hubHeaders, type HttpContext } from '../client/http.js';

/** Where the client commands find the hub, and how they prove who they are. */
export interface Hub {
  /** The hub's base URL, without a trailing slash. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token: string | undefined;
}

/** The default hub URL when neither `--url` nor `HERALD_URL` is given. */
export const DEFAULT_HUB_URL = 'http://127.0.0.1:4021';

/**
 * Adds `--url` (env `HERALD_URL`) and `--token` (env `HERALD_TOKEN`) to a client command.
 *
 * @example
 * ```ts
 * addHubOptions(program.command('groups')).action((options) => groups(hubFrom(options)));
 * ```
 */
export function addHubOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'the hub').env('HERALD_URL').default(DEFAULT_HUB_URL))
    .addOption(new Option('--token <token>', 'API key or JWT, sent as a Bearer token').env('HERALD_TOKEN'));
}

/**
 * The hub from a command's `--url` and `--token`, the URL checked.
 *
 * @example
 * ```ts
 * hubFrom({ url: 'http://127.0.0.1:4021/', token: 's3cret' }); // { url: 'http://127.0.0.1:4021', token: 's3cret' }
 * ```
 */
export function hubFrom(options: { url?: unknown; token?: unknown }): Hub {
  const url = typeof options.url === 'string' ? options.url : DEFAULT_HUB_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url must be an http:// or https:// URL, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`--url must be an http:// or https:// URL, got "${url}"`);
  }
  const token = typeof options.token === 'string' && options.token !== '' ? options.token : undefined;
  return { url: url.replace(/\/+$/, ''), token };
}

/** The client's request context for `hub`: its URL, its token, the global `fetch`. */
export function httpContext(hub: Hub): HttpContext {
  return { url: hub.url, token: hub.token, fetch: globalThis.fetch.bind(globalThis) };
}

/**
 * The error the CLI prints for a failure of herald/client's request `what` (`GET /v1/sse`): the
 * hub's own JSON errors as "the hub answered <status> <CODE>: <message>"; a reply no hub would send
 * (a page, a 4xx that is not JSON) as "<url>: not a Herald hub (got text/html from GET /v1/sse)";
 * a 5xx that is not JSON, which may come from a proxy in front of a hub that is restarting, as
 * "the hub answered 502 Bad Gateway"; anything else ("cannot reach the hub at <url>: <cause>") as
 * it is.
 *
 * @example
 * ```ts
 * cliError(err, hub, 'GET /v1/groups').message; // 'the hub answered 403 FORBIDDEN: "shop" is not an admin'
 * ```
 */
export function cliError(error: unknown, hub: Hub, what: string): unknown {
  if (!(error instanceof HubError) || error.status === 0) return error;
  if (isHubReply(error))
    return new Error(`the hub answered ${error.status} ${error.code}: ${error.message}`, { cause: error });
  const { contentType, body } = error.details;
  if (typeof contentType !== 'string') return error;
  if (error.status >= 500) {
    const text = typeof body === 'string' ? body : '';
    return new Error(`the hub answered ${error.status}${text && ` ${text}`}`, { cause: error });
  }
  return notAHub(hub, what, error.status, contentType);
}

/**
 * The error for a reply that no Herald hub would send (an HTML page, say: the URL points at a web
 * server or a proxy's login page): "<url>: not a Herald hub (got text/html from GET /v1/groups)".
 * `got` replaces the content type in the message when it is not the problem.
 *
 * @example
 * ```ts
 * notAHub(hub, 'GET /v1/groups?x=1', 200, 'text/html').message; // 'http://x: not a Herald hub (got text/html from GET /v1/groups)'
 * ```
 */
export function notAHub(hub: Hub, what: string, status: number, contentType: string, got?: string): Error {
  const type = mediaType(contentType);
  const shown = got ?? (type === '' ? 'a reply with no content type' : type);
  const code = status >= 200 && status < 300 ? '' : `${status} `;
  return new Error(`${hub.url}: not a Herald hub (got ${code}${shown} from ${what.split('?')[0]!})`);
}

/** A media type, lower case and without parameters (`text/html`), or `''` for none. */
function mediaType(contentType: string | null): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'no content type' ? '' : type;
}

/**
 * Sends a request with herald/client's HTTP helpers and returns the JSON reply; a failure throws
 * as `cliError` words it, a 2xx that is not JSON (or does not parse) as `notAHub`.
 *
 * @example
 * ```ts
 * const { groups } = await hubJson<{ groups: unknown[] }>(hub, 'GET', '/v1/groups');
 * ```
 */
export async function hubJson<T>(
  hub: Hub,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const ctx = httpContext(hub);
  const what = `${method} ${path}`;
  let res: Response;
  try {
    const sent = await hubHeaders(ctx, {
      accept: 'application/json',
      // Every POST says JSON, even with no body: the hub refuses CORS-simple POSTs.
      ...((body !== undefined || method !== 'GET') && { 'content-type': 'application/json' }),
      ...headers,
    });
    const init = { method, headers: sent, ...(body !== undefined && { body: JSON.stringify(body) }) };
    res = await hubFetch(ctx, path, init, undefined);
    if (!res.ok) throw await errorFromResponse(res, what);
  } catch (error) {
    throw cliError(error, hub, what);
  }
  const type = res.headers.get('content-type');
  if (mediaType(type) !== 'application/json' && !mediaType(type).endsWith('+json')) {
    await res.body?.cancel().catch(() => undefined);
    throw notAHub(hub, what, res.status, type ?? '');
  }
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw notAHub(hub, what, res.status, type ?? '', 'JSON that does not parse');
  }
}
