import { HeraldError } from '../../errors/index.js';

/**
 * Whether SQLite refused because another connection holds the lock (`SQLITE_BUSY`,
 * `SQLITE_BUSY_*`).
 *
 * @example
 * ```ts
 * try { begin.run(); } catch (error) { if (isBusy(error)) retryLater(); else throw error; }
 * ```
 */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * The error of a write that waited `waitedMs` for another process's lock and gave up.
 *
 * @example
 * ```ts
 * throw lockedOut(5_012, 5_000, error);
 * ```
 */
export function lockedOut(waitedMs: number, busyTimeoutMs: number, cause: unknown): HeraldError {
  return new HeraldError(
    'LOG_UNREACHABLE',
    `the SQLite database is locked by another process (waited ${waitedMs} ms, busyTimeoutMs ${busyTimeoutMs})`,
    { cause },
  );
}

/**
 * Runs `fn` (a statement or transaction that takes a lock) until it is not refused as busy, trying
 * again on a timer (10 to 200 ms apart) so the event loop goes on meanwhile; past `busyTimeoutMs`
 * it fails with `LOG_UNREACHABLE`.
 *
 * @example
 * ```ts
 * await whenUnlocked(() => migrate(db), 5_000);
 * ```
 */
export async function whenUnlocked<T>(fn: () => T, busyTimeoutMs: number): Promise<T> {
  const since = Date.now();
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const waited = Date.now() - since;
      if (waited >= busyTimeoutMs) throw lockedOut(waited, busyTimeoutMs, error);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
