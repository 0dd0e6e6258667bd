import { retryTransient } from '../../log/retry.js';
import { HeraldError } from '../../errors/index.js';

// Node socket errors: the server is down, restarting, or out of reach.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
// SQLSTATEs worth trying again: the server shut down or is starting (57P01-57P03), too many
// connections for now (53300), a serialization failure or deadlock (40001, 40P01).
const RETRY_STATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
// What `pg` says, without a code, when a connection it holds goes away.
const CLIENT_MESSAGES =
  /Connection terminated|not queryable|Client was closed|Connection ended|timeout exceeded when trying to connect/;

/**
 * Whether `error` says the server could not be reached or the connection was lost (or a
 * transaction lost a serialization race): trying the same work again may succeed.
 *
 * @example
 * ```ts
 * if (isTransient(error)) await retryLater();
 * ```
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || RETRY_STATES.has(code) || code.startsWith('08')) return true;
  }
  return CLIENT_MESSAGES.test(error.message);
}

/**
 * Whether a connection that saw `error` must be thrown away rather than returned to its pool.
 *
 * @example
 * ```ts
 * client.release(isBroken(error) ? error : undefined);
 * ```
 */
export function isBroken(error: unknown): boolean {
  return isTransient(error) && !['40001', '40P01'].includes(String((error as { code?: unknown }).code));
}

/**
 * The `LOG_UNREACHABLE` error a call fails with once it gave up on the server, with the last
 * error as `cause`.
 *
 * @example
 * ```ts
 * throw unreachable(lastError, 'the append may or may not be stored: append the same events again');
 * ```
 */
export function unreachable(cause: unknown, advice?: string): HeraldError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const more = advice === undefined ? '' : `; ${advice}`;
  return new HeraldError('LOG_UNREACHABLE', `PostgreSQL could not be reached (${reason})${more}`, { cause });
}

/** How a retried call ends early. */
export interface RetryOptions {
  /** Give up after this long (ms); `Infinity` for as long as `stopped` says no. */
  readonly timeoutMs: number;
  /** Checked before each attempt: when true the last error is thrown as it is. */
  readonly stopped?: () => boolean;
  /** Cuts a pause short (then `stopped` decides). */
  readonly signal?: AbortSignal;
  /** Said in the `LOG_UNREACHABLE` error. */
  readonly advice?: string;
}

/**
 * Runs `attempt`, and again after a growing pause (50 ms doubling to 1 s) each time it fails
 * with a transient error, until `timeoutMs` passed: then `LOG_UNREACHABLE`. Other errors are
 * thrown at once. Each attempt must be safe to repeat (one statement or one transaction).
 *
 * @example
 * ```ts
 * const rows = await withRetry(() => pool.query(config), { timeoutMs: 10_000 });
 * ```
 */
export function withRetry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  return retryTransient(attempt, {
    ...options,
    firstWaitMs: 50,
    maxWaitMs: 1_000,
    isTransient,
    unreachable: (error) => unreachable(error, options.advice),
  });
}
