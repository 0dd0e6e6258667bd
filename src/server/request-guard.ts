import { isIP } from 'node:net';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { HeraldError } from '../errors/herald-error.js';
import { isLoopbackOrigin } from './loopback.js';

/** What the guard checks requests against. */
export interface RequestGuardOptions {
  /**
   * Host names the hub answers to besides IP literals and `localhost`: exact names, or
   * `.example.com` for the name and every name below it. Unset: any name when auth is on, none
   * when it is off (the DNS-rebinding defence of a hub that trusts whoever reaches it).
   */
  hosts?: readonly string[] | undefined;
  /** Whether auth is configured. */
  authOn: boolean;
  /** Origins a browser page may call from (CORS); `'*'` allows any. */
  origins?: readonly string[] | undefined;
  /**
   * Asked per request: whether pages on loopback origins (`http://localhost:<port>`,
   * `http://127.0.0.1:<port>`, `http://[::1]:<port>`) count as the hub's own. The hub passes it
   * only without auth and without `cors.origins`, answering true once it listens on loopback only.
   */
  loopbackOrigins?: (() => boolean) | undefined;
}

/** Media types a browser may POST cross-origin without a preflight (the CORS-safelisted ones). */
const SIMPLE_MEDIA = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const CHANGES_STATE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The hub's `onRequest` guard against requests a browser is tricked into sending, run before
 * auth so such a request learns nothing:
 * - **Host** (DNS rebinding): the `Host` header must be an IP literal, `localhost` (or a name below
 *   it), or one of `hosts`; otherwise 421 `HOST_NOT_ALLOWED`. Without `hosts`, any name is allowed
 *   when auth is on (a rebound page holds no token).
 * - **Origin** (cross-site pages): a WebSocket upgrade or a state-changing request that carries an
 *   `Origin` must come from the hub's own origin, one of `origins`, or (when `loopbackOrigins()`
 *   says so: a hub on loopback without auth) a loopback origin; otherwise 403
 *   `ORIGIN_NOT_ALLOWED`. Requests without `Origin` (curl, servers) pass.
 * - **CORS-simple writes**: a `POST` must send a JSON content type (`application/json`,
 *   `application/*+json`, ...) or be a binary-mode CloudEvent (a `ce-specversion` header), even
 *   with no body, so no form or `text/plain` post from any page can change state (415
 *   `UNSUPPORTED_MEDIA_TYPE`).
 *
 * @example
 * ```ts
 * app.addHook('onRequest', requestGuard({ authOn: false, hosts: ['hub.internal'] }));
 * ```
 */
export function requestGuard(options: RequestGuardOptions): onRequestHookHandler {
  const names = (options.hosts ?? []).map((h) => h.toLowerCase());
  const anyName = options.hosts === undefined && options.authOn;
  const origins = new Set((options.origins ?? []).map((o) => o.toLowerCase()));
  const anyOrigin = origins.has('*');
  return (request, _reply, done) => {
    const host = request.headers.host;
    if (!anyName && host !== undefined && !hostAllowed(hostname(host), names)) {
      done(
        new HeraldError(
          'HOST_NOT_ALLOWED',
          `this hub does not answer to the host "${shorten(host)}": use its address, or list the name in hosts`,
          { details: { host: shorten(host) } },
        ),
      );
      return;
    }
    const upgrade = (request.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const origin = request.headers.origin;
    if (
      (upgrade || CHANGES_STATE.has(request.method)) &&
      origin !== undefined &&
      !anyOrigin &&
      !origins.has(origin.toLowerCase()) &&
      !sameOrigin(origin, host) &&
      !(options.loopbackOrigins?.() === true && isLoopbackOrigin(origin))
    ) {
      done(
        new HeraldError(
          'ORIGIN_NOT_ALLOWED',
          `requests from the origin "${shorten(origin)}" are not allowed: list it in cors.origins`,
          { details: { origin: shorten(origin) } },
        ),
      );
      return;
    }
    if (request.method === 'POST' && !nonSimplePost(request)) {
      const type = mediaType(request.headers['content-type']);
      done(
        new HeraldError(
          'UNSUPPORTED_MEDIA_TYPE',
          `a POST must send content-type: application/json (or a CloudEvents type), even with no body; got "${type || '(none)'}"`,
          { details: { contentType: type } },
        ),
      );
      return;
    }
    done();
  };
}

/** True when a browser could not have sent this POST without a CORS preflight. */
function nonSimplePost(request: FastifyRequest): boolean {
  if (request.headers['ce-specversion'] !== undefined) return true;
  const type = mediaType(request.headers['content-type']);
  return type !== '' && !SIMPLE_MEDIA.has(type);
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The host name of a `Host` header, without its port or IPv6 brackets. */
function hostname(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(1, lower.indexOf(']') >>> 0);
  const colon = lower.lastIndexOf(':');
  return colon >= 0 && lower.indexOf(':') === colon ? lower.slice(0, colon) : lower;
}

function hostAllowed(name: string, names: readonly string[]): boolean {
  if (isIP(name) !== 0) return true;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  return names.some((n) => (n.startsWith('.') ? bare === n.slice(1) || bare.endsWith(n) : bare === n));
}

/** True when `origin` is the hub itself as the request addressed it (same name and port). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  let url: URL;
  let addressed: URL;
  try {
    url = new URL(origin);
    addressed = new URL(`${url.protocol}//${host}`);
  } catch {
    return false; // 'null' and other opaque origins are never the hub's own
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // Both parsed with the origin's scheme, so a default port compares equal to its omission.
  return url.host === addressed.host;
}

function shorten(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
