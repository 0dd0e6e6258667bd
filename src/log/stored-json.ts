// Shared by the SQL backends. Events appended in one round share their recorded time, and dead
// letters come in bursts: formatting the previous value once keeps Date off the hot paths.
let lastMs = Number.NaN;
let lastIso = '';

/**
 * Unix ms as RFC 3339 (UTC, milliseconds), memoising the previous value.
 *
 * @example
 * ```ts
 * isoAt(0); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/**
 * The JSON of a stored event, from the CloudEvent's JSON (an object, so it ends with `}`) and
 * where it was stored: the members a `StoredEvent` adds, in the memory log's order. Splicing
 * strings keeps a second `JSON.stringify` out of the write transaction.
 *
 * @example
 * ```ts
 * storedJson('{"id":"a"}', '"s-1"', 1, 7, '2026-01-01T00:00:00.000Z');
 * // '{"id":"a","stream":"s-1","version":1,"position":7,"recordedat":"2026-01-01T00:00:00.000Z"}'
 * ```
 */
export function storedJson(
  eventJson: string,
  /** The stream as a JSON string (quoted, escaped), or undefined. */
  streamJson: string | undefined,
  version: number | null,
  position: number,
  recordedat: string,
): string {
  const where = streamJson === undefined ? '' : `"stream":${streamJson},"version":${version},`;
  return `${eventJson.slice(0, -1)},${where}"position":${position},"recordedat":"${recordedat}"}`;
}
