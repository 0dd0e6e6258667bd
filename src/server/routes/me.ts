import type { FastifyInstance } from 'fastify';
import { anonymous } from '../auth/principal.js';

/** What `GET /v1/me` answers: the caller's own identity and grants (never a secret). */
export interface MeReply {
  /** The API key's name, the JWT's `sub`, or `anonymous` when the hub has no auth. */
  id: string;
  /** False when the hub runs without auth (every caller may do everything). */
  auth: boolean;
  admin: boolean;
  publish: readonly string[];
  subscribe: readonly string[];
  streams: readonly string[];
  /** When the credential expires (RFC 3339), or null (API keys, no auth). */
  expiresAt: string | null;
}

/**
 * `GET /v1/me`: who the hub thinks the caller is and what it may do, so a client (the dashboard)
 * can show only what the token may read and hide admin actions. Any authenticated caller may
 * read its own grants; the hub still checks every request on its own. See `docs/http-api.md`.
 *
 * @example
 * ```ts
 * meRoutes(api);
 * // GET /v1/me with a key limited to orders.> →
 * // { "id": "shop", "auth": true, "admin": false, "publish": [], "subscribe": ["orders.>"], ... }
 * ```
 */
export function meRoutes(app: FastifyInstance): void {
  app.get('/v1/me', (request): MeReply => {
    const who = request.principal;
    return {
      id: who.id,
      auth: who !== anonymous,
      admin: who.admin,
      publish: who.publish,
      subscribe: who.subscribe,
      streams: who.streams,
      expiresAt: who.expiresAt === undefined ? null : new Date(who.expiresAt).toISOString(),
    };
  });
}
