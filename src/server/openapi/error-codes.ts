import type { HeraldErrorCode } from '../../errors/codes.js';

/**
 * Every `HeraldErrorCode`, as a value for the OpenAPI error schema. The type below fails to
 * compile when `codes.ts` gains a code that is not listed here.
 */
const CODES = [
  'INVALID_EVENT',
  'INVALID_TYPE',
  'INVALID_PATTERN',
  'INVALID_DATA',
  'INVALID_OPTION',
  'INVALID_QUERY',
  'INVALID_MESSAGE',
  'INVALID_CONFIG',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONCURRENCY_CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'QUEUE_FULL',
  'RATE_LIMITED',
  'LOG_UNREACHABLE',
  'TRANSPORT_UNAVAILABLE',
  'LOG_CLOSED',
  'BROKER_CLOSED',
  'HANDLER_FAILED',
  'HANDLER_TIMEOUT',
  'UNRECOVERABLE',
  'RETRY_LATER',
  'NO_RESPONDERS',
  'REQUEST_TIMEOUT',
  'DEAD_LETTER_NOT_FOUND',
  'SUBSCRIPTION_NOT_FOUND',
  'ABORTED',
  'CAPABILITY_NOT_SUPPORTED',
  'DUPLICATE_ID_CONFLICT',
  'GROUP_OPTIONS_CONFLICT',
  'HOST_NOT_ALLOWED',
  'ORIGIN_NOT_ALLOWED',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
] as const satisfies readonly HeraldErrorCode[];

type Missing = Exclude<HeraldErrorCode, (typeof CODES)[number]>;
// Compiles only while CODES lists every code; otherwise the error names the missing ones.
const _allCodesListed: [Missing] extends [never] ? true : Missing = true;

/**
 * The codes an HTTP error body may carry: every `HeraldErrorCode`, plus `INTERNAL` (a 500 whose
 * details are in the server log).
 *
 * @example
 * ```ts
 * HTTP_ERROR_CODES.includes('NOT_FOUND'); // true
 * ```
 */
export const HTTP_ERROR_CODES: readonly string[] = [...CODES, 'INTERNAL'];
