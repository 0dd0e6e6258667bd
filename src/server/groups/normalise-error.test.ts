import { describe, expect, it } from 'vitest';
import type { GroupDeadLetter, StoredEvent } from '../../log/types.js';
import { groupByError } from './error-groups.js';
import { MAX_NORMALISED_ERROR, normaliseError } from './normalise-error.js';

describe('normaliseError', () => {
  it.each([
    [
      'timeout after 1234 ms on order 0193a5c2-7f1e-7c3a-9b2d-5e8f0a1b2c3d',
      'timeout after <n> ms on order <id>',
    ],
    [
      'timeout after 87 ms on order 0193a5c2-0000-7c3a-9b2d-aaaaaaaaaaaa',
      'timeout after <n> ms on order <id>',
    ],
    ['card declined at 2025-01-07T10:21:13.004Z  (attempt 3)', 'card declined at <time> (attempt <n>)'],
    ['expired 2025-01-07T10:21:13+01:00 and 2025-01-07', 'expired <time> and <time>'],
    ['Date: Tue, 07 Jan 2025 10:21:13 GMT', 'Date: <time>'],
    ['at Tue Jan 07 2025 10:21:13 GMT+0100 (Central European Standard Time)!', 'at <time>!'],
    ['lock held since 10:21:13.004', 'lock held since <time>'],
    ['event 01ARZ3NDEKTSV4RRFFQ69G5FAV not found', 'event <id> not found'],
    ['commit 9fceb02d0ae598e95dc970b74767f19372d61af8 missing', 'commit <id> missing'],
    ['object 507f1f77bcf86cd799439011 and address 0x7ffe', 'object <id> and address <id>'],
    ['charge ch_3MqLiJLkdIwHu7ix0snN0B15 failed', 'charge <id> failed'],
    ['order ord_8Fk2Lq9Z rejected', 'order <id> rejected'],
    ['user alice.smith+test@example.co.uk unknown', 'user <email> unknown'],
    ['HTTP 503 from 10.0.0.12:8080', 'HTTP <n> from <n>:<n>'],
    ['waited 1.5s, retry in -20ms', 'waited <n>s, retry in -<n>ms'],
    ['order-12 and order_345', 'order-<n> and order_<n>'],
    ['positions 3, 7, 9 are stale', 'positions <n> are stale'],
    [
      'expected Float64Array or Uint8Array in utf8, not v2',
      'expected Float64Array or Uint8Array in utf8, not v2',
    ],
    ['invalid value "abc" for field "email"', 'invalid value "abc" for field "email"'],
    ['missing "item 42"', 'missing "item <n>"'],
    ['  many\n\tlines   here \r\n', 'many lines here'],
    ['deadbeef is a word, facade too', 'deadbeef is a word, facade too'],
    ['', ''],
  ])('%j -> %j', (message, expected) => {
    expect(normaliseError(message)).toBe(expected);
  });

  it('gives every occurrence of one failure the same string', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const at = new Date(1_736_245_273_004 + i * 7_919).toISOString();
      const id = crypto.randomUUID();
      seen.add(normaliseError(`timeout after ${i * 37} ms on order ${id} at ${at}`));
    }
    expect([...seen]).toEqual(['timeout after <n> ms on order <id> at <time>']);
  });

  it('bounds the result to 500 characters and the work to the first 4,096 of the message', () => {
    const long = normaliseError('word '.repeat(1_000));
    expect(long.length).toBe(MAX_NORMALISED_ERROR);
    expect(long.endsWith('…')).toBe(true);
    const huge = 'x'.repeat(10_000_000);
    const started = performance.now();
    expect(normaliseError(huge).length).toBe(MAX_NORMALISED_ERROR);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('is idempotent: normalising a normalised error changes nothing', () => {
    for (const message of [
      'timeout after 1234 ms on order 0193a5c2-7f1e-7c3a-9b2d-5e8f0a1b2c3d',
      'card declined at 2025-01-07T10:21:13.004Z (attempt 3), ids 1, 2, 3',
      'a1 '.repeat(300),
      'charge ch_3MqLiJLkdIwHu7ix0snN0B15 failed for alice@example.com',
    ]) {
      const once = normaliseError(message);
      expect(normaliseError(once)).toBe(once);
    }
  });

  it('takes no time on inputs built to make a regular expression backtrack', () => {
    const started = performance.now();
    for (const attack of ['1'.repeat(4_000), 'a1'.repeat(2_000), '0-'.repeat(2_000), '@.'.repeat(2_000)]) {
      normaliseError(attack);
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('groupByError', () => {
  const dead = (position: number, error: string | undefined, at: string): GroupDeadLetter => ({
    event: { position } as StoredEvent,
    deliveries: 1,
    error,
    at,
  });

  it('counts by normalised error, most first, with first and last times and sample positions', () => {
    const groups = groupByError([
      dead(1, 'timeout after 10 ms', '2025-01-07T10:00:02.000Z'),
      dead(2, 'card declined', '2025-01-07T10:00:01.000Z'),
      dead(3, 'timeout after 20 ms', '2025-01-07T10:00:00.000Z'),
      dead(4, undefined, '2025-01-07T10:00:05.000Z'),
      dead(5, 'timeout after 30 ms', '2025-01-07T10:00:09.000Z'),
    ]);
    expect(groups).toEqual([
      {
        error: 'timeout after <n> ms',
        count: 3,
        firstDeadAt: '2025-01-07T10:00:00.000Z',
        lastDeadAt: '2025-01-07T10:00:09.000Z',
        positions: [1, 3, 5],
        example: 'timeout after 30 ms',
      },
      {
        error: 'card declined',
        count: 1,
        firstDeadAt: '2025-01-07T10:00:01.000Z',
        lastDeadAt: '2025-01-07T10:00:01.000Z',
        positions: [2],
        example: 'card declined',
      },
      {
        error: null,
        count: 1,
        firstDeadAt: '2025-01-07T10:00:05.000Z',
        lastDeadAt: '2025-01-07T10:00:05.000Z',
        positions: [4],
        example: null,
      },
    ]);
  });

  it('keeps 20 sample positions and breaks ties the same way every time', () => {
    const at = '2025-01-07T10:00:00.000Z';
    const many = Array.from({ length: 30 }, (_, i) => dead(i + 1, `failed ${i}`, at));
    const [group] = groupByError(many);
    expect(group!.count).toBe(30);
    expect(group!.positions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const ties = [dead(1, 'b', at), dead(2, undefined, at), dead(3, 'a', at)];
    expect(groupByError(ties).map((g) => g.error)).toEqual([null, 'a', 'b']);
    expect(groupByError([...ties].reverse()).map((g) => g.error)).toEqual([null, 'a', 'b']);
  });

  it("carries the latest letter's raw error as the example, cut at 1,000 characters", () => {
    const raw = (n: number) => `attempt ${n}: ${'x'.repeat(2_000)}`;
    const [group, ...others] = groupByError([
      dead(1, raw(3), '2025-01-07T10:00:03.000Z'),
      dead(2, raw(1), '2025-01-07T10:00:00.000Z'),
    ]);
    expect(others).toEqual([]);
    const long = raw(3);
    expect(group!.example).toHaveLength(1_000);
    expect(group!.example).toBe(`${long.slice(0, 999)}…`);
  });
});
