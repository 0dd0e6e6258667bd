import { afterEach, describe, expect, it, vi } from 'vitest';
import { expiryTimer } from './expiry-timer.js';

afterEach(() => vi.useRealTimers());

describe('expiryTimer', () => {
  it('fires once at the expiry, at once when it has passed, never without one', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const fired: string[] = [];
    expiryTimer(1_000_500, () => fired.push('later'));
    expiryTimer(999_000, () => fired.push('past'));
    expiryTimer(undefined, () => fired.push('never'));
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(['past']);
    vi.advanceTimersByTime(499);
    expect(fired).toEqual(['past']);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['past', 'later']);
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual(['past', 'later']);
  });

  it('waits out an expiry beyond what setTimeout can wait instead of firing at once', () => {
    vi.useFakeTimers({ now: 0 });
    const forty = 40 * 24 * 3_600_000;
    let fired = 0;
    expiryTimer(forty, () => fired++);
    vi.advanceTimersByTime(30 * 24 * 3_600_000);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(10 * 24 * 3_600_000);
    expect(fired).toBe(1);
  });

  it('does not fire once cancelled', () => {
    vi.useFakeTimers({ now: 0 });
    let fired = 0;
    const cancel = expiryTimer(100, () => fired++);
    cancel();
    vi.advanceTimersByTime(1_000);
    expect(fired).toBe(0);
  });
});
