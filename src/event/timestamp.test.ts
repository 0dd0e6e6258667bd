import { describe, expect, it } from 'vitest';
import { isTimestamp, timestampMillis } from './timestamp.js';

describe('timestampMillis', () => {
  it('reads the instant, applying the offset', () => {
    const utc = Date.UTC(2018, 3, 5, 17, 31);
    expect(timestampMillis('2018-04-05T17:31:00Z')).toBe(utc);
    expect(timestampMillis('2018-04-05T18:31:00+01:00')).toBe(utc);
    expect(timestampMillis('2018-04-05T16:31:00-01:00')).toBe(utc);
    expect(timestampMillis('2018-04-05T23:01:00+05:30')).toBe(utc);
  });

  it('keeps milliseconds and drops finer digits', () => {
    expect(timestampMillis('2018-04-05T17:31:00.123456789Z')).toBe(Date.UTC(2018, 3, 5, 17, 31, 0, 123));
    expect(timestampMillis('2018-04-05T17:31:00.5Z')).toBe(Date.UTC(2018, 3, 5, 17, 31, 0, 500));
  });

  it('agrees with Date.parse on toISOString output', () => {
    for (const ms of [0, 1, 951_782_400_000, 1_700_000_000_123, 4_102_444_800_000]) {
      expect(timestampMillis(new Date(ms).toISOString())).toBe(ms);
    }
  });

  it('reads years before 100 as written, not as 19xx', () => {
    expect(new Date(timestampMillis('0042-01-01T00:00:00Z')).getUTCFullYear()).toBe(42);
  });

  it('maps a leap second to the start of the next minute', () => {
    expect(timestampMillis('2016-12-31T23:59:60Z')).toBe(Date.UTC(2017, 0, 1));
  });

  it('returns NaN for anything that is not an RFC 3339 date-time', () => {
    expect(timestampMillis('2018-04-05')).toBeNaN();
    expect(timestampMillis('Thu, 05 Apr 2018 17:31:00 GMT')).toBeNaN();
    expect(isTimestamp('2018-04-05T17:31:00Z')).toBe(true);
    expect(isTimestamp('2018-02-30T17:31:00Z')).toBe(false);
  });

  it('answers a repeated timestamp from memory, and a different one afresh', () => {
    for (let i = 0; i < 3; i++) {
      expect(timestampMillis('2018-04-05T17:31:00Z')).toBe(Date.UTC(2018, 3, 5, 17, 31));
      expect(timestampMillis('2018-04-05T17:31:00')).toBeNaN();
      expect(timestampMillis('2018-04-05T17:31:00')).toBeNaN();
      expect(timestampMillis('2018-04-05T17:31:01Z')).toBe(Date.UTC(2018, 3, 5, 17, 31, 1));
    }
  });
});
