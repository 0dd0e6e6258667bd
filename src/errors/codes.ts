/**
 * Every error code Herald throws. `docs/errors.md` explains each one; HTTP errors (later) carry the
 * same codes. String literals, not an enum, so they survive serialisation and compare with `===`.
 */
export type HeraldErrorCode =
  | 'INVALID_EVENT'
  | 'INVALID_TYPE'
  | 'INVALID_PATTERN'
  | 'INVALID_DATA'
  | 'INVALID_OPTION'
  | 'QUEUE_FULL'
  | 'BROKER_CLOSED'
  | 'HANDLER_FAILED'
  | 'HANDLER_TIMEOUT'
  | 'UNRECOVERABLE'
  | 'RETRY_LATER'
  | 'NO_RESPONDERS'
  | 'REQUEST_TIMEOUT'
  | 'DEAD_LETTER_NOT_FOUND'
  | 'SUBSCRIPTION_NOT_FOUND'
  | 'ABORTED'
  | 'CONCURRENCY_CONFLICT'
  | 'CAPABILITY_NOT_SUPPORTED'
  | 'LOG_CLOSED'
  | 'NOT_FOUND'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_QUERY'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'INVALID_CONFIG'
  | 'LOG_UNREACHABLE'
  | 'INVALID_MESSAGE';
