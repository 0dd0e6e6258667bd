/**
 * `GET /v1/me`: the caller's own identity and grants, what the dashboard reads to hide what a
 * token may not do. Without auth the caller is `anonymous` with everything; with API keys and
 * JWTs, exactly the key's or the claims' grants, and no secret.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';

const me = async (base: string, token?: string) => {
  const res = await fetch(`${base}/v1/me`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('GET /v1/me without auth', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ log: memoryLog() });
  });
  afterAll(async () => hub.app.close());

  it('answers anonymous with every grant and auth false', async () => {
    expect(await me(hub.base)).toEqual({
      status: 200,
      body: {
        id: 'anonymous',
        auth: false,
        admin: true,
        publish: ['>'],
        subscribe: ['>'],
        streams: ['*'],
        expiresAt: null,
      },
    });
  });
});

describe('GET /v1/me with auth on', () => {
  let hub: TestHub;
  const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
  beforeAll(async () => {
    hub = await startHub({
      log: memoryLog(),
      auth: {
        keys: [
          { name: 'ops', key: 'ops-key-123456', admin: true },
          {
            name: 'shop',
            key: 'shop-key-12345',
            publish: ['orders.*'],
            subscribe: ['orders.>'],
            streams: ['order-*'],
          },
        ],
        jwt: { secret: SECRET },
      },
    });
  });
  afterAll(async () => hub.app.close());

  it('answers a key its own grants and never the key', async () => {
    const { status, body } = await me(hub.base, 'shop-key-12345');
    expect(status).toBe(200);
    expect(body).toEqual({
      id: 'shop',
      auth: true,
      admin: false,
      publish: ['orders.*'],
      subscribe: ['orders.>'],
      streams: ['order-*'],
      expiresAt: null,
    });
    expect(JSON.stringify(body)).not.toContain('shop-key');
    expect((await me(hub.base, 'ops-key-123456')).body).toMatchObject({
      id: 'ops',
      admin: true,
      subscribe: ['>'],
    });
  });

  it("answers a JWT's subject, grants and expiry", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = await new SignJWT({ subscribe: ['audit.>'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('auditor')
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(SECRET));
    const { status, body } = await me(hub.base, token);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: 'auditor',
      auth: true,
      admin: false,
      subscribe: ['audit.>'],
      publish: [],
    });
    expect(body.expiresAt).toBe(new Date(exp * 1000).toISOString());
  });

  it('refuses a caller without a token or with a wrong one (401)', async () => {
    expect((await me(hub.base)).status).toBe(401);
    expect((await me(hub.base, 'not-a-key-at-all')).status).toBe(401);
  });
});
