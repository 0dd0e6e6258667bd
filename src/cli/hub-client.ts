import { Option, type Command } from 'commander';

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

/**
 * `fetch` against the hub with the token; a network failure becomes
 * "cannot reach the hub at <url>: <cause>".
 *
 * @example
 * ```ts
 * const res = await hubFetch(hub, '/v1/events?limit=1');
 * ```
 */
export async function hubFetch(hub: Hub, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (hub.token !== undefined) headers.set('authorization', `Bearer ${hub.token}`);
  try {
    return await fetch(`${hub.url}${path}`, { ...init, headers });
  } catch (error) {
    if (init.signal?.aborted === true) throw error;
    throw unreachable(hub, error);
  }
}

/**
 * The error for a hub that cannot be reached, with the deepest cause (`connect ECONNREFUSED ...`).
 *
 * @example
 * ```ts
 * unreachable(hub, err).message; // 'cannot reach the hub at http://127.0.0.1:4021: connect ECONNREFUSED 127.0.0.1:4021'
 * ```
 */
export function unreachable(hub: Hub, error: unknown): Error {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`cannot reach the hub at ${hub.url}: ${reason}`, { cause: error });
}

/**
 * Sends a request and returns the JSON reply; a non-2xx reply throws
 * "the hub answered <status> <CODE>: <message>" with the hub's error code and message.
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
  const res = await hubFetch(hub, path, {
    method,
    headers: {
      accept: 'application/json',
      // Every POST says JSON, even with no body: the hub refuses CORS-simple POSTs.
      ...((body !== undefined || method !== 'GET') && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw await hubError(res, { hub, method, path });
  if (!isJson(res)) throw notAHub(hub, method, path, res);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw notAHub(hub, method, path, res, 'JSON that does not parse');
  }
}

/** Where a reply came from, to name it in errors. */
export interface HubRequest {
  readonly hub: Hub;
  readonly method: string;
  /** The path asked for; its query is left out of messages. */
  readonly path: string;
}

/**
 * The error for a reply that no Herald hub would send (an HTML page, say: the URL points at a web
 * server or a proxy's login page): "<url>: not a Herald hub (got text/html from GET /v1/groups)".
 * `got` replaces the content type in the message when it is not the problem.
 *
 * @example
 * ```ts
 * notAHub(hub, 'GET', '/v1/groups?x=1', res).message; // 'http://x: not a Herald hub (got text/html from GET /v1/groups)'
 * ```
 */
export function notAHub(hub: Hub, method: string, path: string, res: Response, got?: string): Error {
  const type = mediaType(res);
  const what = got ?? (type === '' ? 'a reply with no content type' : type);
  const status = res.ok ? '' : `${res.status} `;
  const route = path.split('?')[0]!;
  return new Error(`${hub.url}: not a Herald hub (got ${status}${what} from ${method} ${route})`);
}

/** The media type of a reply, lower case and without parameters (`text/html`), or `''`. */
function mediaType(res: Response): string {
  return (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(res: Response): boolean {
  const type = mediaType(res);
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * The error of a non-2xx reply: the hub's `{ error: { code, message } }` when it sent one, else
 * the status and the start of the body. Given the request, a 4xx that is not JSON (every error of
 * a hub is) says the server is not a Herald hub, as `notAHub` does; a 5xx that is not JSON may
 * come from a proxy in front of a hub that is restarting, so it keeps the status and the text.
 *
 * @example
 * ```ts
 * if (!res.ok) throw await hubError(res); // the hub answered 403 FORBIDDEN: "shop" is not an admin
 * ```
 */
export async function hubError(res: Response, request?: HubRequest): Promise<Error> {
  if (request !== undefined && res.status < 500 && !isJson(res)) {
    await res.body?.cancel().catch(() => undefined);
    return notAHub(request.hub, request.method, request.path, res);
  }
  const text = await res.text().catch(() => '');
  let detail = text.trim().slice(0, 200);
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    if (typeof parsed.error?.code === 'string')
      detail = `${parsed.error.code}: ${String(parsed.error.message)}`;
    else if (typeof parsed.message === 'string') detail = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  return new Error(`the hub answered ${res.status}${detail ? ` ${detail}` : ''}`);
}
