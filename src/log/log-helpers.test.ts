import { describe, expect, it } from 'vitest';
import { eventStatus } from './event-status.js';
import { checkExpectedVersion, satisfiesExpectedVersion } from './expected-version.js';
import { nackDelay, resolveGroupOptions } from './group-options.js';
import { prepareAppend } from './prepare-append.js';
import { matchesReadFilter, readFilter } from './read-filter.js';
import type { StoredEvent } from './types.js';

describe('backend-agnostic log helpers', () => {
  it('satisfiesExpectedVersion treats 0 as no_stream', () => {
    expect([0, 3].map((v) => satisfiesExpectedVersion(0, v))).toEqual([true, false]);
    expect([0, 3].map((v) => satisfiesExpectedVersion('stream_exists', v))).toEqual([false, true]);
    expect(() => checkExpectedVersion('s', 2, 3)).toThrow(
      expect.objectContaining({ expected: 2, actual: 3 }),
    );
  });

  it('nackDelay prefers the given delay, then walks the backoff and stays on its last entry', () => {
    const backoff = [10, 20];
    expect([1, 2, 3, 9].map((count) => nackDelay(backoff, count, undefined))).toEqual([10, 20, 20, 20]);
    expect(nackDelay(backoff, 1, 0)).toBe(0);
    expect(nackDelay([], 4, undefined)).toBe(0);
  });

  it('resolveGroupOptions fills defaults and merges later options over earlier ones', () => {
    const first = resolveGroupOptions({ ackWaitMs: 10 });
    expect(first).toEqual({ types: ['>'], ackWaitMs: 10, maxDeliveries: 5, backoff: [1_000, 5_000, 30_000] });
    expect(resolveGroupOptions({ maxDeliveries: 2 }, first)).toMatchObject({
      ackWaitMs: 10,
      maxDeliveries: 2,
    });
    expect(() => resolveGroupOptions({ types: ['a..b'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_PATTERN' }),
    );
  });

  it('eventStatus follows the lifecycle rules', () => {
    const base = { matches: true, afterStart: true, delivered: false, dead: false, pending: undefined };
    expect(eventStatus(base)).toBe('pending');
    expect(eventStatus({ ...base, delivered: true })).toBe('completed');
    expect(eventStatus({ ...base, delivered: true, pending: { due: false } })).toBe('processing');
    expect(eventStatus({ ...base, delivered: true, pending: { due: true } })).toBe('pending');
    expect(eventStatus({ ...base, dead: true })).toBe('failed');
    expect(eventStatus({ ...base, matches: false })).toBeUndefined();
    expect(eventStatus({ ...base, afterStart: false, delivered: true })).toBeUndefined();
  });

  it('readFilter normalises options and matchesReadFilter applies everything but from and limit', () => {
    const filter = readFilter({ stream: 's', fromVersion: 2, types: ['a.*'], after: '2026-01-01T00:00:00Z' });
    expect(filter).toMatchObject({ direction: 'forward', from: 'start', limit: Infinity });
    const event = {
      specversion: '1.0',
      id: '1',
      source: 's',
      type: 'a.b',
      stream: 's',
      version: 2,
      position: 7,
      recordedat: '2026-01-01T00:00:00.000Z',
    } as StoredEvent;
    expect(matchesReadFilter(event, filter)).toBe(true);
    expect(matchesReadFilter({ ...event, version: 1 }, filter)).toBe(false);
    expect(matchesReadFilter({ ...event, recordedat: '2025-12-31T23:59:59.999Z' }, filter)).toBe(false);
    expect(readFilter({ direction: 'backward' }).from).toBe('end');
  });

  it('prepareAppend names the bad element of a batch', () => {
    expect(() => prepareAppend([{ type: 'ok' }, { type: 'x', time: 'soon' }])).toThrow(
      expect.objectContaining({
        code: 'INVALID_EVENT',
        details: expect.objectContaining({ index: 1, attribute: 'time' }),
      }),
    );
    expect(() => prepareAppend([{ type: 'bad type' }])).toThrow(
      expect.objectContaining({ code: 'INVALID_TYPE', details: expect.objectContaining({ index: 0 }) }),
    );
    expect(() => prepareAppend([null as never])).toThrow(expect.objectContaining({ code: 'INVALID_EVENT' }));
  });
});
