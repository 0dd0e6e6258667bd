import { describe, expect, it } from 'vitest';
import { errorFromResponse, HubError } from '../client/errors.js';
import { cliError, hubFrom } from './hub-client.js';

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

  it("words the hub's own errors with status and code, and keeps the client's other errors", async () => {
    const hub = { url: 'http://x', token: undefined };
    const reply = new Response('{"error":{"code":"FORBIDDEN","message":"\\"shop\\" is not an admin"}}', {
      status: 403,
      headers: { 'content-type': 'application/json' },
    });
    const forbidden = await errorFromResponse(reply, 'GET /v1/groups');
    expect((cliError(forbidden, hub, 'GET /v1/groups') as Error).message).toBe(
      'the hub answered 403 FORBIDDEN: "shop" is not an admin',
    );
    const page = (status: number, type: string, body: string): Response =>
      new Response(body, { status, headers: { 'content-type': type } });
    const html = await errorFromResponse(page(404, 'text/html; charset=utf-8', '<html>'), 'GET /v1/sse');
    expect((cliError(html, hub, 'GET /v1/sse?types=a') as Error).message).toBe(
      'http://x: not a Herald hub (got 404 text/html from GET /v1/sse)',
    );
    const proxy = await errorFromResponse(page(502, 'text/plain', 'Bad Gateway\n'), 'GET /v1/sse');
    expect((cliError(proxy, hub, 'GET /v1/sse') as Error).message).toBe('the hub answered 502 Bad Gateway');
    const notSse = new HubError('INTERNAL', 'not an event stream', {
      status: 200,
      details: { status: 200, contentType: 'text/html' },
    });
    expect((cliError(notSse, hub, 'GET /v1/sse') as Error).message).toBe(
      'http://x: not a Herald hub (got text/html from GET /v1/sse)',
    );
    const down = new HubError('TRANSPORT_UNAVAILABLE', 'cannot reach the hub at http://x: boom', {
      status: 0,
    });
    expect(cliError(down, hub, 'GET /v1/groups')).toBe(down);
    const plain = new Error('--from must be start');
    expect(cliError(plain, hub, 'GET /v1/groups')).toBe(plain);
  });
});
