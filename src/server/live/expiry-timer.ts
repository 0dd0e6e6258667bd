// setTimeout takes at most 2^31 - 1 ms (about 24.8 days); longer delays fire at once.
const MAX_DELAY = 2_147_483_647;

/** Stops an `expiryTimer`. */
export type CancelExpiry = () => void;

/**
 * Calls `onExpire` once at `expiresAt` (Unix ms), the moment a live connection's credentials
 * stop being valid; on the next turn of the event loop if that has passed (never inside this
 * call). Nothing when `expiresAt` is undefined (API keys,
 * no auth). Expiries further away than `setTimeout` can wait re-arm on the way. The timer does
 * not keep the process alive.
 *
 * @example
 * ```ts
 * const cancel = expiryTimer(principal.expiresAt, () => socket.close(4401, 'herald: the token expired'));
 * socket.once('close', cancel);
 * ```
 */
export function expiryTimer(
  expiresAt: number | undefined,
  onExpire: () => void,
  now: () => number = Date.now,
): CancelExpiry {
  if (expiresAt === undefined) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  // Always from a timer, never inside this call: the caller is still being built.
  const arm = (): void => {
    timer = setTimeout(check, Math.max(0, Math.min(expiresAt - now(), MAX_DELAY))).unref();
  };
  const check = (): void => {
    if (cancelled) return;
    if (expiresAt - now() > 0) return arm();
    cancelled = true;
    onExpire();
  };
  arm();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
