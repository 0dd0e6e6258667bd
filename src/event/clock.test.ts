import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoNow } from './clock.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('isoNow', () => {
  it('equals new Date().toISOString() for the current millisecond', () => {
    const before = Date.now();
    const iso = isoNow();
    const after = Date.now();
    expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(iso)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(iso)).toBeLessThanOrEqual(after);
    if (before === after) expect(iso).toBe(new Date(before).toISOString());
  });

  it('returns the same string within one millisecond and a new one when the clock moves', () => {
    vi.useFakeTimers({ now: new Date('2026-01-02T03:04:05.006Z') });
    expect(isoNow()).toBe('2026-01-02T03:04:05.006Z');
    expect(isoNow()).toBe('2026-01-02T03:04:05.006Z');
    vi.advanceTimersByTime(1);
    expect(isoNow()).toBe('2026-01-02T03:04:05.007Z');
    vi.setSystemTime(new Date('2030-12-31T23:59:59.999Z'));
    expect(isoNow()).toBe('2030-12-31T23:59:59.999Z');
    // A clock set back is followed too: the cache compares, it does not assume time only grows.
    vi.setSystemTime(new Date('2026-01-02T03:04:05.006Z'));
    expect(isoNow()).toBe('2026-01-02T03:04:05.006Z');
  });

  it('follows a real clock tick without sleeping', () => {
    const first = isoNow();
    const start = Date.now();
    while (Date.now() === start) {
      // spin until the millisecond changes: at most about one millisecond
    }
    expect(isoNow()).not.toBe(first);
    expect(Date.parse(isoNow())).toBeGreaterThan(Date.parse(first));
  });
});
