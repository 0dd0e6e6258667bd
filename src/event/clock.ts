// `new Date(ms).toISOString()` costs about a microsecond, several times a whole createEvent, while
// events published in one millisecond share the same string. So the string is kept for its
// millisecond and rebuilt only when the clock moves.
let lastMs = Number.NaN;
let lastIso = '';

/**
 * The RFC 3339 string (`toISOString()` form) for the millisecond `now`. Internal: `createEvent`
 * reads the clock once for both the id and the `time` attribute.
 */
export function isoAt(now: number): string {
  if (now !== lastMs) {
    lastIso = new Date(now).toISOString();
    lastMs = now;
  }
  return lastIso;
}

/**
 * Returns the current time as an RFC 3339 timestamp in UTC with milliseconds, exactly what
 * `new Date().toISOString()` returns, computed at most once per millisecond.
 *
 * @example
 * ```ts
 * isoNow(); // '2026-11-22T15:36:34.123Z'
 * ```
 */
export function isoNow(): string {
  return isoAt(Date.now());
}
