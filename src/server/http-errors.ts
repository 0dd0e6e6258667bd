import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors/herald-error.js';
import type { HeraldErrorCode } from '../errors/codes.js';

/** The HTTP status of each error code; anything else is a 500. */
const STATUS: Partial<Record<HeraldErrorCode, number>> = {
  INVALID_EVENT: 400,
  INVALID_TYPE: 400,
  INVALID_PATTERN: 400,
  INVALID_DATA: 400,
  INVALID_OPTION: 400,
  INVALID_QUERY: 400,
  INVALID_MESSAGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONCURRENCY_CONFLICT: 409,
  DUPLICATE_ID_CONFLICT: 409,
  GROUP_OPTIONS_CONFLICT: 409,
  HOST_NOT_ALLOWED: 421,
  ORIGIN_NOT_ALLOWED: 403,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  QUEUE_FULL: 429,
  RATE_LIMITED: 429,
  LOG_UNREACHABLE: 503,
  TRANSPORT_UNAVAILABLE: 503,
  LOG_CLOSED: 503,
  BROKER_CLOSED: 503,
};

/** The one JSON error body of the HTTP API: `{ error: { code, message, details } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/**
 * Fastify's error handler for the hub: Herald errors keep their code and get their status; Fastify's
 * own errors (body too large, malformed JSON) are mapped to Herald codes; anything unexpected is a
 * 500 `INTERNAL` whose message hides the internals (they are logged).
 */
export function sendError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof HeraldError) {
    return reply.status(STATUS[error.code] ?? 500).send(body(error.code, error.message, error.details));
  }
  const fastifyCode = (error as FastifyError).code;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.status(413).send(body('PAYLOAD_TOO_LARGE', error.message, {}));
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return reply.status(status).send(body('INVALID_QUERY', error.message, { fastify: fastifyCode }));
  }
  request.log.error({ err: error }, 'unexpected error');
  return reply.status(500).send(body('INTERNAL', 'internal error; see the server log', {}));
}

function body(code: string, message: string, details: Record<string, unknown>): ErrorBody {
  return { error: { code, message, details } };
}
