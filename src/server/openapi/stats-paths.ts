import { errors, ok } from './refs.js';
import type { JsonSchema, PathItem } from './types.js';

const count = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });
const series = (description: string): JsonSchema => ({
  type: 'array',
  description,
  items: { type: 'integer', minimum: 0 },
});

const STATS: JsonSchema = {
  type: 'object',
  required: ['backend', 'head', 'live', 'uptimeMs', 'rates', 'groups'],
  properties: {
    backend: {
      type: 'object',
      description:
        "The log's capabilities (`LogCapabilities`, docs/guarantees.md): `name` (memory, sqlite, postgres, redis, nats), `survivesReopen`, `survivesServerRestart`, `fsync`, `consumerGroups`, `multiProcess`.",
      required: [
        'name',
        'survivesReopen',
        'survivesServerRestart',
        'fsync',
        'consumerGroups',
        'multiProcess',
      ],
      properties: {
        name: { type: 'string' },
        survivesReopen: {
          type: 'boolean',
          description:
            "The log's state is found again after the log is closed and opened on the same storage.",
        },
        survivesServerRestart: {
          type: 'boolean',
          description:
            'An acknowledged append survives a kill and restart of the server process (of the hub itself for SQLite).',
        },
        fsync: {
          type: 'boolean',
          description: 'An append resolves only once flushed to disk, so it survives a machine crash.',
        },
        consumerGroups: { type: 'boolean', description: 'The log has durable consumer groups.' },
        multiProcess: { type: 'boolean', description: 'Several processes or hubs may share the log.' },
      },
    },
    head: count('The highest position stored in the log (0 when empty).'),
    live: {
      type: 'object',
      description: 'Live clients connected to this hub now.',
      required: ['sse', 'ws'],
      properties: { sse: count('SSE clients.'), ws: count('WebSocket clients.') },
    },
    uptimeMs: count('Milliseconds since this hub started.'),
    rates: {
      type: 'object',
      description:
        "Per-second counts from this hub's in-memory ring (the last 3,600 s; empty again after a restart; other hubs on the same log count their own).",
      required: ['start', 'published', 'delivered', 'byType'],
      properties: {
        start: count(
          'The unix second of the first element of each series; the last element is the current second.',
        ),
        published: series(
          'Events appended through this hub (HTTP ingest and WebSocket publish), per second.',
        ),
        delivered: series('Events written to live clients (one per client per event), per second.'),
        byType: {
          type: 'object',
          description:
            'The 10 busiest types over the window (published + delivered) that the caller may read and `types` matches. Types it may not read are in the series but never named.',
          additionalProperties: {
            type: 'object',
            required: ['published', 'delivered'],
            properties: { published: count('Over the window.'), delivered: count('Over the window.') },
          },
        },
      },
    },
    groups: {
      type: 'array',
      description:
        'The 5 groups with the largest lag among the first 200 the log lists, and only those whose types the caller may read (admins: all).',
      items: {
        type: 'object',
        required: ['name', 'lag', 'pending', 'deadLetters'],
        properties: {
          name: { type: 'string' },
          lag: count('Matching events not yet delivered.'),
          pending: count('Delivered and not yet acked.'),
          deadLetters: count('Events the group gave up on.'),
        },
      },
    },
  },
};

const patterns = (description: string): JsonSchema => ({
  type: 'array',
  description,
  items: { type: 'string' },
});

const ME: JsonSchema = {
  type: 'object',
  required: ['id', 'auth', 'admin', 'publish', 'subscribe', 'streams', 'expiresAt'],
  properties: {
    id: { type: 'string', description: "The API key's name, the JWT's `sub`, or `anonymous` without auth." },
    auth: {
      type: 'boolean',
      description: 'False when the hub runs without auth (every caller may do everything).',
    },
    admin: { type: 'boolean', description: 'May use the admin routes (groups, dead letters).' },
    publish: patterns('Type patterns the caller may publish (`>`: every type).'),
    subscribe: patterns('Type patterns the caller may read.'),
    streams: patterns('Streams the caller may address by name (`prefix*`, `*` every stream).'),
    expiresAt: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'When the credential expires (a JWT `exp`), or null.',
    },
  },
};

/**
 * `GET /v1/stats`: the overview a dashboard shows (backend, head, live clients, rates, lagging groups).
 *
 * @example
 * ```ts
 * const paths = { ...STATS_PATHS };
 * ```
 */
export const STATS_PATHS: Readonly<Record<string, PathItem>> = {
  '/v1/stats': {
    get: {
      operationId: 'stats',
      summary: "The hub's overview: backend, log head, live clients, per-second rates, lagging groups",
      description:
        "Any authenticated caller may read it. Per-type figures name only types the caller may read, and only groups whose types it may read are listed; admins (and every caller of a hub without auth) see everything. The rates come from this hub's in-memory ring of the last 3,600 seconds: they start empty at every start and count only this hub. See docs/http-stats.md.",
      tags: ['operations'],
      parameters: [
        {
          name: 'since',
          in: 'query',
          description: 'Seconds of rates to return, ending with the current one (1 to 3600, default 300).',
          schema: { type: 'integer', minimum: 1, maximum: 3600, default: 300 },
        },
        {
          name: 'types',
          in: 'query',
          description:
            "Comma-separated type patterns: name only matching types in `rates.byType` (the series are always every type). A pattern outside the caller's grants is 403.",
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': ok('The overview.', STATS),
        ...errors(400, 401, 403, 429, 503),
      },
    },
  },
  '/v1/me': {
    get: {
      operationId: 'me',
      summary: "The caller's identity and grants",
      description:
        'Who the hub thinks the caller is and what it may publish, read and administer, so a client can show only what the token allows. Any authenticated caller may read its own grants; no secret is returned. The hub checks every request regardless.',
      tags: ['operations'],
      responses: {
        '200': ok('The caller.', ME),
        ...errors(401, 429),
      },
    },
  },
};
