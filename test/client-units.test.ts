/**
 * The parts of `herald/client` a hub cannot easily drive: the backoff and jitter, the hub's
 * `retry:` and `Retry-After` honoured, the bounded queue, and errors of servers that are not hubs.
 * Streams run on a scripted `fetch`.
 */
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../src/client/bounded-queue.js';
import { errorFromResponse } from '../src/client/errors.js';
import { createClient, HubError, type RetryInfo } from '../src/client/index.js';
import { backoffDelay, retryAfterMs, sleep } from '../src/client/timing.js';

/** A `fetch` answering each call with the next scripted response (the last one repeats). */
function scripted(responses: (() => Response)[]): { fetch: typeof fetch; requests: Request[] } {
  const requests: Request[] = [];
  return {
    requests,
    fetch: async (input, init) => {
      requests.push(new Request(input, init));
      const next = responses[Math.min(requests.length - 1, responses.length - 1)]!;
      return next();
    },
  };
}

const sse = (body: string): Response =>
  new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
const event = (position: number): string =>
  `id: ${position}\ndata: ${JSON.stringify({ specversion: '1.0', id: `e${position}`, source: 's', type: 'a.b', position })}\n\n`;

describe('backoff', () => {
  it('doubles from the base up to the cap, with jitter in [0.5, 1)', () => {
    expect(backoffDelay(0, 1_000, 30_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1_000, 30_000, () => 0.999)).toBe(1_000);
    expect(backoffDelay(3, 1_000, 30_000, () => 0)).toBe(4_000);
    expect(backoffDelay(10, 1_000, 30_000, () => 0.999)).toBe(29_985);
    expect(backoffDelay(1_000, 1_000, 30_000, () => 0)).toBe(15_000);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(2, 100, 10_000)));
    expect(spread.size).toBeGreaterThan(10);
    for (const ms of spread) expect(ms >= 200 && ms <= 400).toBe(true);
  });

  it('reads Retry-After in seconds or as a date; sleep ends early on abort', async () => {
    expect(retryAfterMs('2')).toBe(2_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThan(3_000);
    const controller = new AbortController();
    const started = Date.now();
    const waiting = sleep(10_000, controller.signal);
    controller.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('streams on a scripted fetch', () => {
  it("honours the hub's retry: as the backoff base and resumes with Last-Event-ID", async () => {
    const { fetch, requests } = scripted([
      () => sse(`retry: 300\nid: 0\n\n${event(1)}${event(2)}`),
      () => sse(`retry: 300\nid: 2\n\n${event(3)}`),
    ]);
    const retries: RetryInfo[] = [];
    const c = createClient({ url: 'http://hub.test/', fetch });
    const seen: number[] = [];
    for await (const e of c.events('a.>', { from: 'start', onRetry: (r) => retries.push(r) })) {
      if (seen.push(e.position!) === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(150);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(300);
    expect(requests[0]!.url).toBe('http://hub.test/v1/sse?named=false&types=a.%3E&from=start');
    expect(requests[0]!.headers.get('last-event-id')).toBeNull();
    // The resume asks after the last event by header, not from the start again.
    expect(requests[1]!.url).toBe('http://hub.test/v1/sse?named=false&types=a.%3E');
    expect(requests[1]!.headers.get('last-event-id')).toBe('2');
  });

  it('drops an event at or before the last delivered position (a hub that resends)', async () => {
    const { fetch } = scripted([() => sse(`${event(1)}${event(2)}`), () => sse(`${event(2)}${event(3)}`)]);
    const c = createClient({ url: 'http://hub.test', fetch, retry: { initialMs: 1 } });
    const seen: number[] = [];
    for await (const e of c.events('a.>')) if (seen.push(e.position!) === 3) break;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('waits Retry-After on a 503; gives up after maxAttempts; 4xx is final', async () => {
    const unavailable = () =>
      new Response(JSON.stringify({ error: { code: 'LOG_CLOSED', message: 'closed', details: {} } }), {
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '1' },
      });
    const { fetch } = scripted([unavailable]);
    const retries: RetryInfo[] = [];
    const c = createClient({ url: 'http://hub.test', fetch, retry: { initialMs: 1, maxAttempts: 2 } });
    const stream = c.events('a.>', { onRetry: (r) => retries.push(r), signal: AbortSignal.timeout(5_000) });
    await expect(stream.next()).rejects.toMatchObject({ code: 'LOG_CLOSED', status: 503 });
    expect(retries.map((r) => r.delayMs)).toEqual([1_000, 1_000]);

    const denied = scripted([
      () =>
        new Response('{"error":{"code":"FORBIDDEN","message":"no","details":{"pattern":"a.>"}}}', {
          status: 403,
        }),
    ]);
    const d = createClient({ url: 'http://hub.test', fetch: denied.fetch });
    await expect(d.events('a.>').next()).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { pattern: 'a.>' },
    });
    expect(denied.requests).toHaveLength(1);
  });

  it('a server that is not a hub: an HTML page, or 200 with something else than an event stream', async () => {
    const html = await errorFromResponse(
      new Response('<html>nope</html>', { status: 404, headers: { 'content-type': 'text/html' } }),
      'GET /v1/sse',
    );
    expect(html).toBeInstanceOf(HubError);
    expect(html).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(html.message).toContain('is this a Herald hub?');
    const { fetch } = scripted([
      () => new Response('<html></html>', { headers: { 'content-type': 'text/html' } }),
    ]);
    const c = createClient({ url: 'http://hub.test', fetch });
    await expect(c.events('a.>').next()).rejects.toThrow(/not an event stream/);
    expect(() => createClient({ url: 'ftp://hub.test' })).toThrow(/http/);
  });
});

describe('BoundedQueue', () => {
  it('makes the producer wait when full, drains before ending, and throws a failure last', async () => {
    const queue = new BoundedQueue<number>(2);
    expect(queue.push(1)).toBeUndefined();
    const full = queue.push(2);
    expect(full).toBeInstanceOf(Promise);
    let released = false;
    void full!.then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    expect(await queue.next()).toEqual({ done: false, value: 1 });
    await Promise.resolve();
    expect(released).toBe(true);
    queue.end(new Error('boom'));
    expect(await queue.next()).toEqual({ done: false, value: 2 });
    await expect(queue.next()).rejects.toThrow('boom');
    expect(await queue.next()).toEqual({ done: true, value: undefined });
  });

  it('hands an item straight to a waiting consumer; clear ends at once', async () => {
    const queue = new BoundedQueue<string>(1);
    const waiting = queue.next();
    expect(queue.push('a')).toBeUndefined();
    expect(await waiting).toEqual({ done: false, value: 'a' });
    void queue.push('b');
    queue.clear();
    expect(await queue.next()).toEqual({ done: true, value: undefined });
    expect(queue.push('c')).toBeUndefined();
    expect(queue.size).toBe(0);
  });
});
