import { ADMIN_SCHEMAS } from './admin-schemas.js';
import { CONSUME_SCHEMAS } from './consume-schemas.js';
import { HTTP_ERROR_CODES } from './error-codes.js';
import { EVENT_SCHEMAS } from './event-schemas.js';
import { ERROR_RESPONSE_NAMES, json, ref, type ErrorStatus } from './refs.js';
import type { OpenApiDocument, Response } from './types.js';

/** Which codes each error status carries (see docs/errors.md). */
const STATUS_CODES: Record<ErrorStatus | 500, string> = {
  400: 'INVALID_EVENT, INVALID_TYPE, INVALID_PATTERN, INVALID_DATA, INVALID_OPTION or INVALID_QUERY: the request breaks a rule; `details` names the attribute or parameter.',
  401: 'UNAUTHORIZED: auth is on and the token is missing, malformed, unknown or expired (`WWW-Authenticate: Bearer`).',
  403: 'FORBIDDEN: the caller may not do this (publish or read a type, an admin route) or its address is not allowed.',
  404: 'NOT_FOUND: nothing has that id or name (an event the caller may not read is reported missing too).',
  409: 'CONCURRENCY_CONFLICT: the stream version did not match; `details` has `stream`, `expected` and `actual`.',
  413: 'PAYLOAD_TOO_LARGE: the body is over the body limit (default 1 MiB).',
  415: 'UNSUPPORTED_MEDIA_TYPE: the content type is not accepted here; `details.contentType`.',
  429: 'RATE_LIMITED (too many requests: `details.retryAfterMs`, `Retry-After`) or QUEUE_FULL.',
  503: 'LOG_UNREACHABLE, LOG_CLOSED, BROKER_CLOSED or TRANSPORT_UNAVAILABLE: the hub cannot reach its log (or transport); retry elsewhere or later.',
  500: 'INTERNAL: an unexpected failure; the message hides internals, the server log has them (with the request id).',
};

const errorResponse = (status: ErrorStatus | 500): Response => ({
  description: STATUS_CODES[status],
  content: json(ref('schemas', 'Error')),
});

const responses: Record<string, Response> = { Internal: errorResponse(500) };
for (const [status, name] of Object.entries(ERROR_RESPONSE_NAMES)) {
  responses[name] = errorResponse(Number(status) as ErrorStatus);
}

/**
 * The `components` of the hub's OpenAPI document: schemas, shared parameters, the error responses
 * and the security schemes.
 *
 * @example
 * ```ts
 * const document = { openapi: '3.1.0', components: COMPONENTS, ... };
 * ```
 */
export const COMPONENTS: OpenApiDocument['components'] = {
  schemas: {
    ...EVENT_SCHEMAS,
    ...ADMIN_SCHEMAS,
    ...CONSUME_SCHEMAS,
    Error: {
      type: 'object',
      description: 'Every error of the HTTP API. Branch on `code`, never on `message`.',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message', 'details'],
          properties: {
            code: { type: 'string', enum: HTTP_ERROR_CODES, description: 'See docs/errors.md.' },
            message: { type: 'string', description: 'Names the input and the rule it broke.' },
            details: {
              type: 'object',
              additionalProperties: true,
              description: 'The same facts, structured.',
            },
          },
        },
      },
    },
    Status: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok', 'ready'] } },
    },
  },
  parameters: {
    Limit: {
      name: 'limit',
      in: 'query',
      description: 'At most this many items (1 to 1000, default 100).',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    Types: {
      name: 'types',
      in: 'query',
      description:
        'Comma-separated type patterns (NATS rules: `*` one token, `>` one or more at the end), e.g. `orders.>,payments.*`. Default: everything the caller may read; a pattern outside its grants is 403.',
      schema: { type: 'string' },
    },
    GroupName: {
      name: 'name',
      in: 'path',
      required: true,
      description:
        'The consumer group (percent-encoded). A name the log does not list is 404: nothing is created.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
    ConsumedGroupName: {
      name: 'name',
      in: 'path',
      required: true,
      description:
        'The consumer group (percent-encoded). A pull creates it when it does not exist; ack and nack only settle receipts of it.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
  },
  responses,
  securitySchemes: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'API key or JWT',
      description:
        '`Authorization: Bearer <token>`: an API key from the config, or a JWT (HS256 with a secret, RS256/ES256 with a JWKS). Ignored when the hub runs without auth.',
    },
    accessToken: {
      type: 'apiKey',
      in: 'query',
      name: 'access_token',
      description:
        'The same token as a query parameter, for clients that cannot set headers (browser EventSource and WebSocket). Prefer the header elsewhere: URLs end up in logs.',
    },
  },
};
