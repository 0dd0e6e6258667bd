import type { FastifyInstance } from 'fastify';
import { ADMIN_PATHS } from './openapi/admin-paths.js';
import type { PathItem } from './openapi/types.js';
import { COMPONENTS } from './openapi/components.js';
import { CONSUME_PATHS } from './openapi/consume-paths.js';
import { EVENT_PATHS } from './openapi/event-paths.js';
import { LIVE_PATHS } from './openapi/live-paths.js';
import { OPS_PATHS } from './openapi/ops-paths.js';
import { STATS_PATHS } from './openapi/stats-paths.js';
import { hubVersion } from './hub-version.js';
import type { OpenApiDocument } from './openapi/types.js';

export type { OpenApiDocument } from './openapi/types.js';

/**
 * The hub's OpenAPI 3.1 document, written by hand: every route, its parameters, bodies and
 * responses, the shared error schema and the security schemes. `test/server-openapi.test.ts`
 * fails when a route is registered without being described here.
 *
 * @example
 * ```ts
 * const doc = openApiDocument();
 * Object.keys(doc.paths); // ['/v1/events', '/v1/events/{id}', ...]
 * ```
 */
export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald hub',
      version: hubVersion(),
      description:
        'CloudEvents ingest, queries, live delivery (SSE, WebSocket) and administration of a Herald event log. With auth on, every route but the public ones (the index `/`, health, readiness, this document, and metrics when public) needs a token: `Authorization: Bearer <API key or JWT>`, or `?access_token=` where headers cannot be set. Without auth every caller may do everything (the hub then binds only to loopback unless told otherwise). Errors are `{ "error": { "code", "message", "details" } }`.',
    },
    tags: [
      { name: 'events', description: 'Publish and query events.' },
      { name: 'live', description: 'Events pushed as they are appended, resuming from the log.' },
      { name: 'groups', description: 'Consume a consumer group: pull, ack, nack (one member per caller).' },
      { name: 'admin', description: 'Consumer groups and dead letters (admins only).' },
      { name: 'operations', description: 'Health, readiness, metrics, stats and this document.' },
    ],
    security: [{ bearerAuth: [] }, { accessToken: [] }],
    paths: mergePaths(EVENT_PATHS, LIVE_PATHS, CONSUME_PATHS, ADMIN_PATHS, OPS_PATHS, STATS_PATHS),
    components: COMPONENTS,
  };
}

/**
 * `GET /v1/openapi.json`: the document, public (no token needed).
 *
 * @example
 * ```ts
 * openApiRoutes(app);
 * ```
 */
export function openApiRoutes(app: FastifyInstance): void {
  // Serialised once: the document is the same for the life of the process.
  const body = JSON.stringify(openApiDocument());
  app.get('/v1/openapi.json', { config: { public: true } }, (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(body),
  );
}

/** The path items of every module, the operations of a path that several modules share merged. */
function mergePaths(...modules: Readonly<Record<string, PathItem>>[]): Record<string, PathItem> {
  const paths: Record<string, PathItem> = {};
  for (const module of modules)
    for (const [path, item] of Object.entries(module)) paths[path] = { ...paths[path], ...item };
  return paths;
}
