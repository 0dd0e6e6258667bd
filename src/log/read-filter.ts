import { timestampMillis } from '../event/timestamp.js';
import { checkInteger, checkName, invalidOption } from './invalid-option.js';
import { typeMatcher } from './type-matcher.js';
import type { LogPosition, ReadOptions, StoredEvent } from './types.js';

/**
 * `ReadOptions` checked and normalised, for any backend: defaults applied, times in Unix
 * milliseconds, patterns compiled. `limit` is `Infinity` when none was given.
 */
export interface ReadFilter {
  readonly direction: 'forward' | 'backward';
  readonly from: 'start' | 'end' | number | Date;
  readonly limit: number;
  readonly stream: string | undefined;
  readonly fromVersion: number | undefined;
  readonly types: readonly string[] | undefined;
  readonly matchesType: (type: string) => boolean;
  readonly correlationId: string | undefined;
  /** `after` in ms: recorded at or after it. */
  readonly afterMs: number | undefined;
  /** `before` in ms: recorded strictly before it. */
  readonly beforeMs: number | undefined;
}

/**
 * The instant of a `Date` or an RFC 3339 string in ms; `INVALID_OPTION` for anything else.
 *
 * @example
 * ```ts
 * timeOption('after', '2026-01-01T00:00:00Z'); // 1767225600000
 * ```
 */
export function timeOption(option: string, value: unknown): number {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? timestampMillis(value) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidOption(option, value, 'a valid Date or an RFC 3339 timestamp');
  return ms;
}

/**
 * Checks a `LogPosition`: `'start'`, `'end'`, an integer >= 0 or a valid `Date`.
 *
 * @example
 * ```ts
 * const from = checkLogPosition('from', options.from ?? 'end');
 * ```
 */
export function checkLogPosition(option: string, value: unknown): LogPosition {
  if (value === 'start' || value === 'end') return value;
  if (value instanceof Date) {
    timeOption(option, value);
    return value;
  }
  return checkInteger(option, value, 0);
}

function checkDirection(value: unknown): 'forward' | 'backward' {
  if (value === 'forward' || value === 'backward') return value;
  throw invalidOption('direction', value, "'forward' or 'backward'");
}

/**
 * Checks `ReadOptions` and returns them normalised; throws `INVALID_OPTION` (or `INVALID_PATTERN`
 * for a bad type pattern). `fromVersion` needs `stream`. Rules every backend shares:
 * - `from` defaults to `'start'` forward and `'end'` backward; a position is inclusive. `'end'`
 *   forward and `'start'` backward yield nothing (each names the side past the last / before the
 *   first event).
 * - `from: Date` forward starts at the first event recorded at or after it; backward at the last
 *   event recorded at or before it.
 * - `fromVersion` is inclusive in the read direction: forward, versions >= it; backward, <= it.
 *
 * @example
 * ```ts
 * const filter = readFilter({ types: ['order.>'], limit: 10 });
 * for (const e of rows) if (matchesReadFilter(e, filter)) yield e;
 * ```
 */
export function readFilter(options: ReadOptions = {}): ReadFilter {
  const direction = checkDirection(options.direction ?? 'forward');
  const from = checkLogPosition('from', options.from ?? (direction === 'forward' ? 'start' : 'end'));
  const stream = options.stream === undefined ? undefined : checkName('stream', options.stream);
  const fromVersion =
    options.fromVersion === undefined ? undefined : checkInteger('fromVersion', options.fromVersion, 0);
  if (fromVersion !== undefined && stream === undefined) {
    throw invalidOption('fromVersion', fromVersion, 'to come with a stream');
  }
  const correlationId = options.correlationId;
  if (correlationId !== undefined && (typeof correlationId !== 'string' || correlationId === '')) {
    throw invalidOption('correlationId', correlationId, 'a non-empty string');
  }
  return {
    direction,
    from,
    limit: options.limit === undefined ? Infinity : checkInteger('limit', options.limit, 0),
    stream,
    fromVersion,
    types: options.types,
    matchesType: typeMatcher(options.types),
    correlationId,
    afterMs: options.after === undefined ? undefined : timeOption('after', options.after),
    beforeMs: options.before === undefined ? undefined : timeOption('before', options.before),
  };
}

/**
 * Whether a stored event passes every filter of a read except its start (`from`) and `limit`,
 * which depend on where the backend walks. Backends that filter in a query can still run it as
 * the final word.
 *
 * @example
 * ```ts
 * if (matchesReadFilter(event, filter)) out.push(event);
 * ```
 */
export function matchesReadFilter(event: StoredEvent, filter: ReadFilter): boolean {
  if (filter.stream !== undefined) {
    if (event.stream !== filter.stream) return false;
    const version = filter.fromVersion;
    if (version !== undefined && event.version !== undefined) {
      if (filter.direction === 'forward' ? event.version < version : event.version > version) return false;
    }
  }
  if (filter.correlationId !== undefined && event.correlationid !== filter.correlationId) return false;
  if (filter.afterMs !== undefined || filter.beforeMs !== undefined) {
    const recorded = timestampMillis(event.recordedat);
    if (filter.afterMs !== undefined && recorded < filter.afterMs) return false;
    if (filter.beforeMs !== undefined && recorded >= filter.beforeMs) return false;
  }
  return filter.matchesType(event.type);
}
