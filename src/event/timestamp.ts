// RFC 3339 section 5.6 `date-time`: seconds are required, the offset is `Z` or `+hh:mm` / `-hh:mm`.
// `T` and `Z` may be lower-case (section 5.6, note on case). Ranges are checked in code below.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

// The last timestamp read and its answer (see timestampMillis).
let lastValue: string | undefined;
let lastMillis = Number.NaN;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Returns the instant an RFC 3339 timestamp denotes, in Unix milliseconds (digits past the
 * millisecond are dropped), or `NaN` when `value` is not an RFC 3339 `date-time`. Stricter than
 * `Date.parse`, which accepts many other shapes. A leap second (`:60`) is valid RFC 3339; it maps to
 * the first millisecond of the next minute, since JavaScript time has no leap seconds.
 *
 * @example
 * ```ts
 * timestampMillis('2018-04-05T18:31:00+01:00'); // 1522949460000 (17:31 UTC)
 * timestampMillis('2018-04-05T18:31Z'); // NaN: seconds are required
 * ```
 */
export function timestampMillis(value: string): number {
  // Events of one batch (or one millisecond) share their time: the last answer is kept.
  if (value === lastValue) return lastMillis;
  const millis = parseMillis(value);
  lastValue = value;
  lastMillis = millis;
  return millis;
}

function parseMillis(value: string): number {
  const m = DATE_TIME.exec(value);
  if (m === null) return Number.NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 60) return Number.NaN;
  let offset = 0;
  if (m[8] !== undefined) {
    const offsetHours = Number(m[9]);
    const offsetMinutes = Number(m[10]);
    if (offsetHours > 23 || offsetMinutes > 59) return Number.NaN;
    offset = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year < 100) date.setUTCFullYear(year);
  return date.getTime() - offset;
}

/**
 * Whether `value` is an RFC 3339 `date-time` (the CloudEvents `Timestamp` type).
 *
 * @example
 * ```ts
 * isTimestamp('2018-04-05T17:31:00Z'); // true
 * isTimestamp('2018-04-05T18:31:00+05'); // false: the offset needs minutes
 * ```
 */
export function isTimestamp(value: string): boolean {
  return !Number.isNaN(timestampMillis(value));
}
