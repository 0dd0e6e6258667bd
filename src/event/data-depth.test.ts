import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/herald-error.js';
import { createEvent } from './create-event.js';
import { checkDataDepth, MAX_DATA_DEPTH } from './data-depth.js';
import { validateEvent } from './validate-event.js';

const arrays = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
const objects = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth) + 'null' + '}'.repeat(depth));
const base = { specversion: '1.0', id: '1', source: '/s', type: 'a.b' } as const;

function depthError(fn: () => unknown): HeraldError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HeraldError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('checkDataDepth', () => {
  it('accepts arrays and objects nested exactly MAX_DATA_DEPTH levels, and scalars', () => {
    expect(MAX_DATA_DEPTH).toBe(100);
    for (const data of [arrays(100), objects(100), 'x', 1, null, true, [], {}]) {
      expect(() => checkDataDepth(data)).not.toThrow();
    }
  });

  it('refuses one level more, naming attribute, rule and limit', () => {
    for (const data of [arrays(101), objects(101), { ok: 1, deep: arrays(100) }]) {
      const error = depthError(() => checkDataDepth(data));
      expect(error.code).toBe('INVALID_EVENT');
      expect(error.details).toEqual({ attribute: 'data', rule: 'depth', limit: 100 });
      expect(error.message).toContain('100 levels');
    }
  });

  it('refuses a cycle instead of recursing forever, and takes wide data and bytes as shallow', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(depthError(() => checkDataDepth(cycle)).details.rule).toBe('depth');
    expect(() => checkDataDepth(Array.from({ length: 100_000 }, (_, i) => ({ i })))).not.toThrow();
    expect(() => checkDataDepth({ bytes: new Uint8Array(10) })).not.toThrow();
  });

  it('runs in validateEvent and createEvent (both paths) before any other recursion', () => {
    const deep = arrays(1_000_000);
    expect(depthError(() => validateEvent({ ...base, data: deep })).details.rule).toBe('depth');
    expect(depthError(() => createEvent({ type: 'a.b', data: deep })).details.rule).toBe('depth');
    expect(depthError(() => createEvent({ type: 'a.b', subject: 's', data: deep })).details.rule).toBe(
      'depth',
    );
    expect(validateEvent({ ...base, data: arrays(100) }).data).toEqual(arrays(100));
  });
});
