import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors/herald-error.js';
import type { HeraldErrorCode } from '../errors/codes.js';

/** `Retry-After` of a `503` for an outage (`LOG_UNREACHABLE`, `TRANSPORT_UNAVAILABLE`), in seconds. */
export const OUTAGE_RETRY_AFTER_S = 2;

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

/**
 * The Herald code of each error Fastify raises while serving a request (the rest of its
 * `FST_ERR_*` codes are programming errors, met at startup or as a 500 `INTERNAL`). Fastify's
 * messages are replaced: some echo the whole URL.
 */
const FASTIFY: Readonly<Record<string, { code: HeraldErrorCode; message: string; parameter?: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'the request body is over the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the Content-Type header is malformed',
    parameter: 'content-type',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'INVALID_QUERY',
    message: 'the body does not match the Content-Length header',
    parameter: 'content-length',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'INVALID_QUERY',
    message: 'the JSON body is empty',
    parameter: 'body',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'INVALID_QUERY',
    message: 'the body is not valid JSON',
    parameter: 'body',
  },
  FST_ERR_VALIDATION: { code: 'INVALID_QUERY', message: 'the request is invalid' },
  FST_ERR_BAD_URL: {
    code: 'INVALID_QUERY',
    message: 'the URL has malformed percent-encoding',
    parameter: 'url',
  },
  FST_ERR_INVALID_URL: { code: 'INVALID_QUERY', message: 'the URL is malformed', parameter: 'url' },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'URI_TOO_LONG',
    message: 'a path segment is longer than any name the hub accepts',
    parameter: 'url',
  },
  FST_ERR_NOT_FOUND: { code: 'NOT_FOUND', message: 'not found' },
};

/** The one JSON error body of the HTTP API: `{ error: { code, message, details } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** Node's codes for a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Fastify's error handler for the hub: Herald errors keep their code and get their status; the
 * errors Fastify raises itself (body too large, malformed URL, path segment too long, ...) are
 * mapped to Herald codes; a raw connection failure (`ECONNREFUSED`, `ECONNRESET`, ...) that a
 * backend let through is a 503 `LOG_UNREACHABLE`; anything else is a 500 `INTERNAL` whose
 * message hides the internals (they are logged). Every 401 carries `WWW-Authenticate`.
 *
 * @example
 * ```ts
 * app.setErrorHandler(sendError);
 * ```
 */
export function sendError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof HeraldError) {
    return send(reply, STATUS[error.code] ?? 500, error.code, error.message, error.details);
  }
  const mapped = FASTIFY[(error as FastifyError).code];
  if (mapped !== undefined) {
    const details: Record<string, unknown> = mapped.parameter ? { parameter: mapped.parameter } : {};
    if (mapped.code === 'PAYLOAD_TOO_LARGE') details.limit = request.routeOptions.bodyLimit;
    return send(reply, STATUS[mapped.code] ?? 400, mapped.code, mapped.message, details);
  }
  if (NETWORK_CODES.has(String((error as NodeJS.ErrnoException).code))) {
    // A backend that let a raw connection failure through: still an outage to the client, never
    // a 500 it would not retry (the error, with its host and port, goes to the log only).
    request.log.warn({ err: error }, 'a server the hub needs could not be reached');
    return send(reply, 503, 'LOG_UNREACHABLE', 'the event log does not answer', {});
  }
  request.log.error({ err: error }, 'unexpected error');
  return send(reply, 500, 'INTERNAL', 'internal error; see the server log', {});
}

/**
 * The hub's not-found handler: a 404 `NOT_FOUND` naming the method and path (never the query,
 * which may hold an `access_token`), for unknown paths and unknown methods on known paths alike.
 *
 * @example
 * ```ts
 * app.setNotFoundHandler(sendNotFound);
 * ```
 */
export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?', 1)[0]!.slice(0, 256);
  const message = `no route ${request.method} ${path}`;
  return sendError(
    new HeraldError('NOT_FOUND', message, { details: { method: request.method, path } }),
    request,
    reply,
  );
}

/**
 * Fastify's `frameworkErrors` option for the hub: errors of routing (malformed percent-encoding,
 * a path segment over `maxParamLength`) are answered before any hook runs, so the security
 * headers are set here, then `sendError` answers.
 *
 * @example
 * ```ts
 * Fastify({ frameworkErrors: frameworkErrorHandler(securityHeaders(options)) });
 * ```
 */
export function frameworkErrorHandler(
  headers: Readonly<Record<string, string>>,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    for (const [name, value] of Object.entries(headers)) reply.raw.setHeader(name, value);
    sendError(error, request, reply);
  };
}

/**
 * Fastify's `clientErrorHandler` for the hub: requests Node's HTTP parser refuses before Fastify
 * sees them (request line or headers over `maxHeaderSize`, malformed HTTP, a request that took
 * too long to arrive) get a complete response in the hub's error shape, with the security
 * headers, and the connection is closed. Nothing of the request is logged: its raw bytes may hold
 * an `Authorization` header.
 *
 * @example
 * ```ts
 * Fastify({ clientErrorHandler: clientErrorHandler(securityHeaders(options)) });
 * ```
 */
export function clientErrorHandler(
  headers: Readonly<Record<string, string>>,
): (error: ConnectionError, socket: Socket) => void {
  const lines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // As Node does: no response when one is already under way on this connection.
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || current?.headersSent === true) {
      socket.destroy();
      return;
    }
    const [status, code, message] = clientError(error);
    const json = JSON.stringify(body(code, message, {}));
    const head =
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n${lines}\r\n`;
    // Closed once written, whatever the client still sends.
    socket.end(head + json, () => socket.destroy());
  };
}

function clientError(error: ConnectionError): [number, string, string] {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time'];
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // Node counts the request line and the headers against one limit: the overflow is the URL's
    // when the bytes it parsed hold a request line's start and no line break.
    // (Fastify's type of rawPacket is not what Node passes: a Buffer.)
    const raw: unknown = error.rawPacket;
    const parsed = Buffer.isBuffer(raw) ? raw.subarray(0, error.bytesParsed).toString('latin1') : '';
    return /^[A-Z]+ /.test(parsed) && !parsed.includes('\n')
      ? [414, 'URI_TOO_LONG', 'the URL is over the size limit of the request head']
      : [431, 'HEADERS_TOO_LARGE', 'the request headers are over their size limit'];
  }
  return [400, 'INVALID_QUERY', 'the request is not well-formed HTTP'];
}

function send(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown>,
): FastifyReply {
  if (code === 'UNAUTHORIZED' && !reply.hasHeader('www-authenticate')) {
    void reply.header('www-authenticate', 'Bearer realm="herald"');
  }
  // An outage passes: say when to try again (clients and proxies honour it).
  if ((code === 'LOG_UNREACHABLE' || code === 'TRANSPORT_UNAVAILABLE') && !reply.hasHeader('retry-after')) {
    void reply.header('retry-after', String(OUTAGE_RETRY_AFTER_S));
  }
  return reply.status(status).send(body(code, message, details));
}

function body(code: string, message: string, details: Record<string, unknown>): ErrorBody {
  return { error: { code, message, details } };
}
