import { describe, expect, it } from 'vitest';
import { eventLine, table, truncate } from './format.js';

describe('CLI output', () => {
  it('shows an event as position, time, type, subject and data', () => {
    expect(
      eventLine({ position: 3, time: '2025-01-01T00:00:00Z', type: 'a.b', subject: 'o-1', data: { n: 1 } }),
    ).toBe('3 2025-01-01T00:00:00Z a.b o-1 {"n":1}');
    expect(eventLine({ position: 4, recordedat: '2025-01-02T00:00:00Z', type: 'a.c' })).toBe(
      '4 2025-01-02T00:00:00Z a.c',
    );
    expect(eventLine({ position: 5, time: 't', type: 'bin', data_base64: 'AAEC' })).toBe('5 t bin <3 bytes>');
  });

  it('cuts long data with an ellipsis', () => {
    expect(eventLine({ position: 1, time: 't', type: 'x', data: 'y'.repeat(200) }, 10)).toBe(
      `1 t x "${'y'.repeat(8)}…`,
    );
    expect(truncate('abc', 3)).toBe('abc');
  });

  it('pads table columns to the widest cell', () => {
    expect(
      table(
        ['name', 'lag'],
        [
          ['billing', 3],
          ['a', null],
        ],
      ),
    ).toEqual(['name     lag', 'billing  3', 'a        -']);
  });
});
