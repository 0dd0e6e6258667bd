import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/backends/memory/index.js';
import { FailureLimiter } from '../../src/server/auth/failure-limiter.js';
import { startHub, type TestHub } from '../helpers/sse-hub.js';
import { raw } from './helpers/http.js';

// Failed authentications are throttled per address before the rate limiter (which runs after
// auth and so never saw them): a key cannot be guessed at the hub's speed.
let hub: TestHub;

beforeAll(async () => {
  hub = await startHub({
    log: memoryLog(),
    auth: {
      keys: [{ name: 'ops', key: 'the-right-key', admin: true }],
      failureLimit: { max: 5, windowMs: 60_000 },
    },
    rateLimit: { max: 20, timeWindowMs: 60_000 },
  });
});
afterAll(() => hub.app.close());

const get = (token: string | undefined, from = '127.0.0.3', path = '/v1/events') =>
  raw(hub.port, {
    path,
    localAddress: from,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

describe('failed authentication limit', () => {
  it('answers 429 with Retry-After once an address has failed too often, checking no token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await get(`wrong-key-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    const right = await get('the-right-key');
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('RATE_LIMITED');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    // Missing tokens count as failures too, and public routes stay up without checking tokens.
    expect((await get(undefined)).status).toBe(429);
    expect((await get('wrong-again', '127.0.0.3', '/healthz')).status).toBe(200);
  });

  it('keeps counting per address: another address is not blocked', async () => {
    expect((await get('the-right-key', '127.0.0.4')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await get('nope-nope', '127.0.0.5')).status).toBe(401);
    expect((await get('the-right-key', '127.0.0.5')).status).toBe(429);
    expect((await get('the-right-key', '127.0.0.4')).status).toBe(200);
  });
});

describe('FailureLimiter', () => {
  it('opens again when the window passes, and forgets the oldest addresses past its bound', () => {
    let now = 0;
    const limiter = new FailureLimiter({ max: 2, windowMs: 1_000, now: () => now });
    limiter.fail('a');
    limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(1_000);
    now = 999;
    expect(limiter.blockedFor('a')).toBe(1);
    now = 1_000;
    expect(limiter.blockedFor('a')).toBe(0);
    for (let i = 0; i < 20_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(10_000);
  });
});
