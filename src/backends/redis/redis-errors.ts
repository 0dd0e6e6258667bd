import { HeraldError } from '../../errors/index.js';
import { retryTransient } from '../../log/retry.js';

// What ioredis and Node say when the server is down, restarting or out of reach, and the
// replies of a server that is starting or failing over: trying the same command again may work.
const TRANSIENT =
  /Connection is closed|Stream isn't writeable|max retries per request|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|^LOADING|^READONLY|^MASTERDOWN|^TRYAGAIN|^BUSY|Command timed out/;

/**
 * Whether `error` says the server could not be reached or is not ready: worth trying again.
 *
 * @example
 * ```ts
 * if (isTransient(error)) await retryLater();
 * ```
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof HeraldError) return false;
  const code = (error as { code?: unknown }).code;
  return TRANSIENT.test(error.message) || (typeof code === 'string' && TRANSIENT.test(code));
}

/** How a retried call ends early. */
export interface RetryOptions {
  /** Give up after this long (ms); `Infinity` for as long as `stopped` says no. */
  readonly timeoutMs: number;
  /** Checked before each attempt: when true the last error is thrown as it is. */
  readonly stopped?: () => boolean;
  /** Cuts a pause short. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `attempt`, and again after a growing pause (25 ms doubling to 500 ms) while it fails with
 * a transient error, until `timeoutMs` passed: then `LOG_UNREACHABLE` with the last error as
 * `cause`. Other errors are thrown at once. Each attempt must be safe to repeat (one script call:
 * appends dedupe by id, the rest are idempotent or token-checked).
 *
 * @example
 * ```ts
 * const last = await withRetry(() => client.hget('herald:meta', 'last'), { timeoutMs: 10_000 });
 * ```
 */
export function withRetry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  return retryTransient(attempt, {
    ...options,
    firstWaitMs: 25,
    maxWaitMs: 500,
    isTransient,
    unreachable: (error) => {
      const reason = error instanceof Error ? error.message : String(error);
      return new HeraldError('LOG_UNREACHABLE', `Redis could not be reached (${reason})`, { cause: error });
    },
  });
}
