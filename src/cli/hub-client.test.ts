import { describe, expect, it } from 'vitest';
import { hubFrom, unreachable } from './hub-client.js';

describe('the hub client', () => {
  it('takes the URL without its trailing slash and the token when set', () => {
    expect(hubFrom({ url: 'http://hub.example:4021/', token: 'k' })).toEqual({
      url: 'http://hub.example:4021',
      token: 'k',
    });
    expect(hubFrom({})).toEqual({ url: 'http://127.0.0.1:4021', token: undefined });
    expect(hubFrom({ token: '' }).token).toBeUndefined();
  });

  it('refuses a URL that is not http or https', () => {
    expect(() => hubFrom({ url: 'ftp://x' })).toThrow(
      '--url must be an http:// or https:// URL, got "ftp://x"',
    );
    expect(() => hubFrom({ url: 'nope' })).toThrow('--url must be an http:// or https:// URL, got "nope"');
  });

  it('names the hub and the deepest cause when it cannot be reached', () => {
    const error = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    expect(unreachable({ url: 'http://127.0.0.1:9', token: undefined }, error).message).toBe(
      'cannot reach the hub at http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9',
    );
  });
});
