import { describe, expect, it } from 'vitest';
import { isAbsoluteUri, isUriReference } from './uri.js';

describe('isUriReference', () => {
  it('refuses an invalid value right after a valid one, and accepts the valid one again', () => {
    for (let i = 0; i < 3; i++) {
      expect(isUriReference('/orders')).toBe(true);
      expect(isUriReference('my service')).toBe(false);
      expect(isUriReference('https://example.com/a?b#c')).toBe(true);
      expect(isUriReference('%zz')).toBe(false);
    }
  });

  it('leaves isAbsoluteUri to check the scheme after a relative reference was accepted', () => {
    expect(isUriReference('/schemas/order.json')).toBe(true);
    expect(isAbsoluteUri('/schemas/order.json')).toBe(false);
    expect(isAbsoluteUri('https://example.com/schemas/order.json')).toBe(true);
  });
});
