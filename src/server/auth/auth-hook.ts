import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AuthOptions } from './auth-options.js';
import { createAuthenticator, unauthorized } from './authenticator.js';
import { HeraldError } from '../../errors/herald-error.js';
import { FailureLimiter } from './failure-limiter.js';
import { anonymous, principal } from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a token even when auth is on (health, OpenAPI, public metrics). */
    public?: boolean;
  }
}

/** What a public route's caller may do when auth is on: nothing beyond the route itself. */
const nobody = principal({ id: 'public' });

/**
 * The hub's `onRequest` hook: sets `request.principal` from `Authorization: Bearer <token>` or an
 * `access_token` query parameter (for browser `EventSource` and `WebSocket`, which cannot set
 * headers). Without auth in the config every caller is `anonymous` (allowed everything). With auth,
 * a missing or bad token is 401 `UNAUTHORIZED` with `WWW-Authenticate: Bearer`, except on routes
 * marked `config: { public: true }` and CORS preflights. Failed authentications are counted per
 * client address (`failureLimit`, default 20 a minute): past the limit the address gets 429
 * `RATE_LIMITED` with `Retry-After` for the rest of the window, and no token it sends is checked.
 *
 * @example
 * ```ts
 * app.addHook('onRequest', authHook({ keys: [{ name: 'shop', key: 's3cret-key', admin: true }] }));
 * ```
 */
export function authHook(options: AuthOptions | undefined): onRequestHookHandler {
  const authenticate = createAuthenticator(options);
  if (authenticate === undefined) {
    return (request, _reply, done) => {
      request.principal = anonymous;
      done();
    };
  }
  const failures = new FailureLimiter(options?.failureLimit ?? { max: 20, windowMs: 60_000 });
  const hook: onRequestHookHandler = (request, reply, done) => {
    const open = request.routeOptions.config.public === true || request.method === 'OPTIONS';
    const waitMs = failures.blockedFor(request.ip);
    if (waitMs > 0 && open) {
      // A public route is still served, but a blocked address's token is not checked there either.
      request.principal = nobody;
      done();
      return;
    }
    if (waitMs > 0) {
      void reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
      done(
        new HeraldError('RATE_LIMITED', 'too many failed authentications from this address; retry later', {
          details: { retryAfterMs: waitMs },
        }),
      );
      return;
    }
    let token: string | undefined;
    try {
      token = bearer(request);
    } catch (error) {
      failures.fail(request.ip);
      done(error as Error);
      return;
    }
    if (token === undefined) {
      if (open) {
        request.principal = nobody;
        done();
        return;
      }
      failures.fail(request.ip);
      void reply.header('www-authenticate', 'Bearer realm="herald"');
      done(unauthorized('a token is required: send Authorization: Bearer <API key or JWT>'));
      return;
    }
    authenticate(token).then(
      (who) => {
        request.principal = who;
        done();
      },
      (error: unknown) => {
        failures.fail(request.ip);
        void reply.header('www-authenticate', 'Bearer realm="herald", error="invalid_token"');
        done(error as Error);
      },
    );
  };
  return hook;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
    return match[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  const token = query?.access_token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}
