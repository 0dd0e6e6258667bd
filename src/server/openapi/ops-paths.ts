import { errors, ok, ref } from './refs.js';
import type { PathItem } from './types.js';

/**
 * The operational routes: the index, health, readiness, Prometheus metrics and this document.
 *
 * @example
 * ```ts
 * const paths = { ...OPS_PATHS };
 * ```
 */
export const OPS_PATHS: Readonly<Record<string, PathItem>> = {
  '/': {
    get: {
      operationId: 'index',
      summary: 'What this server is: an HTML page for browsers, a JSON index for other clients',
      description:
        "Public, and says nothing about the hub's configuration or data. A client whose `Accept` ranks `text/html` above `application/json` (a browser) gets the dashboard (a page whose script and style are files under `/dashboard/`, with a Content-Security-Policy allowing only this origin and no inline script), or, when the dashboard is not built, a small page with no external resources (its own Content-Security-Policy allows only its inline style) naming the hub and its version, with links to this document, health, metrics and the docs; any other client (`application/json`, `*/*`, no `Accept`) gets the JSON index.",
      tags: ['operations'],
      security: [],
      responses: {
        '200': {
          description: 'The index, as the client asked.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name', 'description', 'version', 'links', 'docs'],
                properties: {
                  name: { const: 'herald' },
                  description: { type: 'string' },
                  version: { type: 'string' },
                  links: {
                    type: 'object',
                    description:
                      'Paths of this hub: `openapi`, `health`, `ready`, `metrics`, `events`, `sse`, `ws`.',
                    additionalProperties: { type: 'string' },
                  },
                  docs: {
                    type: 'array',
                    description: "Documents in Herald's repository.",
                    items: { type: 'string' },
                  },
                },
              },
            },
            'text/html': { schema: { type: 'string' } },
          },
        },
        ...errors(429),
      },
    },
  },
  '/dashboard/{file}': {
    get: {
      operationId: 'dashboardFile',
      summary:
        "A file of the dashboard page (its script, style and page), when the package's dashboard is built",
      description:
        "Public: the files hold no data (the page reads the API with the caller's token). Hashed names (`app-<hash>.js`) are immutable and cached for a year; other files are revalidated by ETag. Only the files of the build's manifest exist; anything else is 404.",
      tags: ['operations'],
      security: [],
      parameters: [
        {
          name: 'file',
          in: 'path',
          required: true,
          description: 'The file name.',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': {
          description: 'The file.',
          content: {
            'text/javascript': { schema: { type: 'string' } },
            'text/css': { schema: { type: 'string' } },
            'text/html': { schema: { type: 'string' } },
          },
        },
        '304': { description: 'Not modified (If-None-Match matched the ETag).' },
        ...errors(404, 429),
      },
    },
  },
  '/healthz': {
    get: {
      operationId: 'health',
      summary: 'Liveness: the process runs',
      tags: ['operations'],
      security: [],
      responses: { '200': ok('`{"status": "ok"}`', ref('schemas', 'Status')), ...errors(429) },
    },
  },
  '/readyz': {
    get: {
      operationId: 'ready',
      summary: 'Readiness: the log answers',
      tags: ['operations'],
      security: [],
      responses: {
        '200': ok('`{"status": "ready"}`', ref('schemas', 'Status')),
        '503': {
          description: 'LOG_UNREACHABLE: the log did not answer within 2 s (`Retry-After: 2`).',
          content: { 'application/json': { schema: ref('schemas', 'Error') } },
        },
        ...errors(429),
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      description:
        'Admins only, unless the hub runs with `metricsPublic` (then no token is needed). Group gauges are read from the log at each scrape; see docs/metrics.md.',
      tags: ['operations'],
      security: [{ bearerAuth: [] }, { accessToken: [] }, {}],
      responses: {
        '200': {
          description: 'The metrics.',
          content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
        },
        ...errors(401, 403, 429),
      },
    },
  },
  '/v1/openapi.json': {
    get: {
      operationId: 'openapi',
      summary: 'This OpenAPI 3.1 document',
      tags: ['operations'],
      security: [],
      responses: { '200': ok('The document.', { type: 'object' }), ...errors(429) },
    },
  },
};
