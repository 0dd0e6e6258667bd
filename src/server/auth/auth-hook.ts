import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AuthOptions } from './auth-options.js';
import { createAuthenticator, unauthorized } from './authenticator.js';
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
 * marked `config: { public: true }` and CORS preflights.
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
  const hook: onRequestHookHandler = (request, reply, done) => {
    let token: string | undefined;
    try {
      token = bearer(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (token === undefined) {
      if (request.routeOptions.config.public === true || request.method === 'OPTIONS') {
        request.principal = nobody;
        done();
        return;
      }
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
