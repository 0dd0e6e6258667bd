import { HeraldError } from '../../errors/index.js';

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
 * A pause that an abort cuts short.
 *
 * @example
 * ```ts
 * await pause(100, signal);
 * ```
 */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return void resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
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
export async function withRetry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || options.stopped?.() === true) throw error;
      if (Date.now() + wait > deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new HeraldError('LOG_UNREACHABLE', `Redis could not be reached (${reason})`, { cause: error });
      }
      await pause(wait, options.signal);
      if (options.stopped?.() === true) throw error;
    }
  }
}
