export type { HeraldErrorCode } from './codes.js';
export {
  HeraldError,
  UnrecoverableError,
  RetryLaterError,
  HandlerFailedError,
  ConcurrencyError,
  CapabilityNotSupportedError,
  describe as describeError,
  type HeraldErrorOptions,
  type HandlerFailure,
} from './herald-error.js';
