import { describe, expect, it } from 'vitest';
import { HubStats, RING_SECONDS, TOP_TYPES, TYPES_OPEN_SECOND, TYPES_PER_SECOND } from './hub-stats.js';

/** A clock the test moves: milliseconds since the epoch. */
function fakeClock(startMs = 1_700_000_000_000) {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('HubStats', () => {
  it('counts per second, oldest first, the current second last', () => {
    const clock = fakeClock();
    const stats = new HubStats({ now: clock.now });
    stats.published('orders.created', 2);
    stats.delivered('orders.created', 4);
    clock.advance(1_000);
    stats.published('orders.paid');
    clock.advance(1_000);
    const rates = stats.rates(3);
    expect(rates.start).toBe(Math.floor(clock.now() / 1000) - 2);
    expect(rates.published).toEqual([2, 1, 0]);
    expect(rates.delivered).toEqual([4, 0, 0]);
    expect(rates.byType).toEqual({
      'orders.created': { published: 2, delivered: 4 },
      'orders.paid': { published: 1, delivered: 0 },
    });
    expect(stats.uptimeMs()).toBe(2_000);
  });

  it('reuses a slot when its second comes round again: nothing older than the ring survives', () => {
    const clock = fakeClock();
    const stats = new HubStats({ now: clock.now });
    stats.published('old.type', 7);
    clock.advance(RING_SECONDS * 1_000); // the same slot, one ring later
    stats.published('new.type', 1);
    const rates = stats.rates(RING_SECONDS);
    expect(rates.published).toHaveLength(RING_SECONDS);
    expect(sum(rates.published)).toBe(1);
    expect(rates.published.at(-1)).toBe(1);
    expect(rates.byType).toEqual({ 'new.type': { published: 1, delivered: 0 } });
  });

  it('forgets a second once it is older than the ring, even with no count since', () => {
    const clock = fakeClock();
    const stats = new HubStats({ now: clock.now });
    stats.published('a.b', 3);
    clock.advance((RING_SECONDS - 1) * 1_000);
    expect(sum(stats.rates(RING_SECONDS).published)).toBe(3);
    expect(stats.rates(RING_SECONDS).published[0]).toBe(3);
    clock.advance(1_000);
    expect(sum(stats.rates(RING_SECONDS).published)).toBe(0);
    expect(stats.rates(RING_SECONDS).byType).toEqual({});
  });

  it('keeps counting across several wraparounds of the ring', () => {
    const clock = fakeClock();
    const stats = new HubStats({ now: clock.now });
    for (let s = 0; s < RING_SECONDS * 2 + 10; s++) {
      stats.published('tick', 1);
      clock.advance(1_000);
    }
    const rates = stats.rates(RING_SECONDS);
    // The current second has no count yet; every other second of the window has one.
    expect(sum(rates.published)).toBe(RING_SECONDS - 1);
    expect(rates.published.at(-1)).toBe(0);
    expect(rates.byType).toEqual({ tick: { published: RING_SECONDS - 1, delivered: 0 } });
  });

  it('clamps the window to 1..RING_SECONDS', () => {
    const stats = new HubStats({ now: fakeClock().now });
    expect(stats.rates(0).published).toHaveLength(1);
    expect(stats.rates(100_000).published).toHaveLength(RING_SECONDS);
  });

  it('keeps only the busiest types of a second that is over, the rest in the totals', () => {
    const clock = fakeClock();
    const stats = new HubStats({ now: clock.now });
    const types = TYPES_PER_SECOND + 8;
    // type-i is published i+1 times: the busiest are the last TYPES_PER_SECOND.
    for (let i = 0; i < types; i++) stats.published(`t.${i}`, i + 1);
    clock.advance(1_000);
    stats.published('next.second');
    const rates = stats.rates(2, (type) => type.startsWith('t.'));
    expect(rates.published[0]).toBe((types * (types + 1)) / 2);
    expect(Object.keys(rates.byType)).toHaveLength(TOP_TYPES);
    expect(Object.keys(rates.byType)[0]).toBe(`t.${types - 1}`);
  });

  it('bounds the named types of the second in progress; later new types count in the totals only', () => {
    const clock = fakeClock();
    const stats = new HubStats({ now: clock.now });
    for (let i = 0; i < TYPES_OPEN_SECOND + 50; i++) stats.published(`t.${i}`);
    stats.published('late.type', 1_000);
    const rates = stats.rates(1);
    expect(rates.published[0]).toBe(TYPES_OPEN_SECOND + 50 + 1_000);
    expect(rates.byType['late.type']).toBeUndefined();
    // An already named type keeps counting.
    stats.published('t.0', 5_000);
    expect(stats.rates(1).byType['t.0']).toEqual({ published: 5_001, delivered: 0 });
  });

  it('names only the types `visible` accepts, and counts the others in the totals', () => {
    const stats = new HubStats({ now: fakeClock().now });
    stats.published('orders.created', 2);
    stats.published('payments.settled', 3);
    const rates = stats.rates(60, (type) => type.startsWith('orders.'));
    expect(rates.byType).toEqual({ 'orders.created': { published: 2, delivered: 0 } });
    expect(sum(rates.published)).toBe(5);
  });

  it('counts live clients by transport, never below zero', () => {
    const stats = new HubStats();
    stats.clientOpened('sse');
    stats.clientOpened('sse');
    stats.clientOpened('ws');
    stats.clientClosed('sse');
    expect(stats.clients()).toEqual({ sse: 1, ws: 1 });
    stats.clientClosed('ws');
    stats.clientClosed('ws');
    expect(stats.clients()).toEqual({ sse: 1, ws: 0 });
  });

  it('puts counts of a clock that steps back into the latest second', () => {
    const clock = fakeClock();
    const stats = new HubStats({ now: clock.now });
    stats.published('a', 1);
    clock.advance(-5_000);
    stats.published('a', 1);
    expect(stats.rates(1).published).toEqual([2]);
  });
});
