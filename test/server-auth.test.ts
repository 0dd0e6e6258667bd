import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { createServer, type ServerOptions } from '../src/server/index.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';

// Real listening hubs with auth on, driven with fetch.
const SECRET = 'an HS256 secret of enough length for the test';
const servers: TestHub[] = [];

async function start(options: Omit<ServerOptions, 'log'>): Promise<string> {
  const hub = await startHub({ log: memoryLog(), ...options });
  servers.push(hub);
  return hub.base;
}

afterAll(async () => {
  for (const { app, log } of servers) {
    await app.close();
    await log.close();
  }
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = any;
const json = { 'content-type': 'application/json' };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  const body: Body = text ? JSON.parse(text) : {};
  return { status: res.status, headers: res.headers, body };
}

describe('API keys with per-pattern scopes', () => {
  let base: string;
  beforeAll(async () => {
    base = await start({
      auth: {
        keys: [
          {
            name: 'shop',
            key: 'shop-key-123',
            publish: ['orders.*'],
            subscribe: ['orders.>'],
            streams: ['mixed-*'],
          },
          { name: 'ops', key: 'ops-key-1234', admin: true },
          // The config may hold the key's SHA-256 instead of the key.
          {
            name: 'hashed',
            sha256: '8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92', // "123456"
            subscribe: ['payments.>'],
          },
        ],
      },
    });
    const seed = await call(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...json, ...auth('ops-key-1234') },
      body: JSON.stringify({
        stream: 'mixed-1',
        events: [
          { id: 'o-1', type: 'orders.created', data: {} },
          { id: 'p-1', type: 'payments.captured', data: {} },
          { id: 'o-2', type: 'orders.shipped', data: {} },
        ],
      }),
    });
    expect(seed.status).toBe(201);
  });

  it('answers 401 with WWW-Authenticate when no token is sent, and for an unknown key', async () => {
    const none = await call(`${base}/v1/events`);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await call(`${base}/v1/events`, { headers: auth('not-a-key') });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain('unknown API key');
    const malformed = await call(`${base}/v1/events`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
  });

  it('keeps health public', async () => {
    expect((await call(`${base}/healthz`)).status).toBe(200);
    expect((await call(`${base}/readyz`)).status).toBe(200);
  });

  it('lets a key publish inside its patterns only, and stores nothing of a refused batch', async () => {
    const ok = await call(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...json, ...auth('shop-key-123') },
      body: JSON.stringify({ type: 'orders.paid', data: {} }),
    });
    expect(ok.status).toBe(201);
    const refused = await call(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...json, ...auth('shop-key-123') },
      body: JSON.stringify([
        { id: 'x-1', type: 'orders.created', data: {} },
        { id: 'x-2', type: 'payments.refunded', data: {} },
      ]),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN', details: { type: 'payments.refunded' } });
    expect((await call(`${base}/v1/events/x-1`, { headers: auth('ops-key-1234') })).status).toBe(404);
  });

  it('sets the source of plain-JSON events to the authenticated client', async () => {
    const res = await call(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...json, ...auth('shop-key-123') },
      body: JSON.stringify({ id: 'src-1', type: 'orders.noted', data: {} }),
    });
    expect(res.status).toBe(201);
    const stored = await call(`${base}/v1/events/src-1`, { headers: auth('shop-key-123') });
    expect(stored.body.source).toBe('/clients/shop');
  });

  it('cannot read payments.> by any query route with an orders key', async () => {
    const byPattern = await call(`${base}/v1/events?types=payments.>`, { headers: auth('shop-key-123') });
    expect(byPattern.status).toBe(403);
    expect(byPattern.body.error.details.pattern).toBe('payments.>');
    const wider = await call(`${base}/v1/events?types=>`, { headers: auth('shop-key-123') });
    expect(wider.status).toBe(403);
    const all = await call(`${base}/v1/events`, { headers: auth('shop-key-123') });
    expect(all.status).toBe(200);
    const types = (all.body.events as { type: string }[]).map((e) => e.type);
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t.startsWith('orders.'))).toBe(true);
    const byId = await call(`${base}/v1/events/p-1`, { headers: auth('shop-key-123') });
    expect(byId.status).toBe(404);
    const stream = await call(`${base}/v1/streams/mixed-1`, { headers: auth('shop-key-123') });
    expect(stream.status).toBe(200);
    expect((stream.body.events as { id: string }[]).map((e) => e.id)).toEqual(['o-1', 'o-2']);
  });

  it('accepts a key by its SHA-256 and a token in the access_token query parameter', async () => {
    const res = await call(`${base}/v1/events?types=payments.*&access_token=123456`);
    expect(res.status).toBe(200);
    expect((res.body.events as { id: string }[]).map((e) => e.id)).toEqual(['p-1']);
  });
});

describe('JWT', () => {
  let base: string;
  let rsa: webcrypto.CryptoKey;
  let ec: webcrypto.CryptoKey;
  beforeAll(async () => {
    const rs = await generateKeyPair('RS256');
    const es = await generateKeyPair('ES256');
    rsa = rs.privateKey;
    ec = es.privateKey;
    const dir = mkdtempSync(join(tmpdir(), 'herald-jwks-'));
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(
      jwksFile,
      JSON.stringify({
        keys: [
          { ...(await exportJWK(rs.publicKey)), kid: 'rs', alg: 'RS256' },
          { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256' },
        ],
      }),
    );
    base = await start({ auth: { jwt: { secret: SECRET, jwksFile, issuer: 'https://issuer.test' } } });
  });

  const sign = (claims: Record<string, unknown>, alg: 'HS256' | 'RS256' | 'ES256', exp = '5m') => {
    const key = alg === 'HS256' ? new TextEncoder().encode(SECRET) : alg === 'RS256' ? rsa : ec;
    return new SignJWT(claims)
      .setProtectedHeader({ alg, ...(alg !== 'HS256' && { kid: alg === 'RS256' ? 'rs' : 'es' }) })
      .setSubject('svc')
      .setIssuer('https://issuer.test')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);
  };

  it.each(['HS256', 'RS256', 'ES256'] as const)(
    'verifies %s tokens and applies their publish claim',
    async (alg) => {
      const token = await sign({ publish: ['orders.*'], subscribe: 'orders.>' }, alg);
      const ok = await call(`${base}/v1/events`, {
        method: 'POST',
        headers: { ...json, ...auth(token) },
        body: JSON.stringify({ type: 'orders.created', data: { alg } }),
      });
      expect(ok.status).toBe(201);
      const refused = await call(`${base}/v1/events`, {
        method: 'POST',
        headers: { ...json, ...auth(token) },
        body: JSON.stringify({ type: 'payments.created', data: {} }),
      });
      expect(refused.status).toBe(403);
      expect((await call(`${base}/v1/events?types=payments.>`, { headers: auth(token) })).status).toBe(403);
    },
  );

  it('refuses expired tokens, wrong issuers and bad signatures, saying which', async () => {
    const expired = await sign({ admin: true }, 'HS256', '-1m');
    const res = await call(`${base}/v1/events`, { headers: auth(expired) });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('expired');
    const other = await new SignJWT({ admin: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://elsewhere.test')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const wrongIssuer = await call(`${base}/v1/events`, { headers: auth(other) });
    expect(wrongIssuer.status).toBe(401);
    expect(wrongIssuer.body.error.message).toContain('iss');
    const forged = await new SignJWT({ admin: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://issuer.test')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('some other secret of the same kind'));
    const bad = await call(`${base}/v1/events`, { headers: auth(forged) });
    expect(bad.status).toBe(401);
    expect(bad.body.error.message).toContain('signature');
  });

  it('refuses a token whose claims are not subject patterns', async () => {
    const token = await sign({ subscribe: ['orders..bad'] }, 'HS256');
    const res = await call(`${base}/v1/events`, { headers: auth(token) });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('subscribe');
  });
});

describe('the middleware stack', () => {
  it('sends security headers and CORS headers for configured origins only', async () => {
    const base = await start({ cors: { origins: ['https://app.example'] } });
    const allowed = await fetch(`${base}/v1/events`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,ce-type,herald-stream',
      },
    });
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('herald-stream');
    const other = await fetch(`${base}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('x-content-type-options')).toBe('nosniff');
    expect(other.headers.get('x-request-id')).toBeTruthy();
  });

  it('rate-limits per key with 429 RATE_LIMITED and Retry-After, each key on its own budget', async () => {
    const base = await start({
      rateLimit: { max: 3, timeWindowMs: 60_000 },
      auth: {
        keys: [
          { name: 'a', key: 'key-a-12345', admin: true },
          { name: 'b', key: 'key-b-12345', admin: true },
        ],
      },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(`${base}/v1/events`, { headers: auth('key-a-12345') })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(`${base}/v1/events`, { headers: auth('key-a-12345') });
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(`${base}/v1/events`, { headers: auth('key-b-12345') })).status).toBe(200);
  });

  it('refuses addresses outside the allow list with 403, and accepts those inside', async () => {
    const closed = await start({ allowIps: ['10.0.0.0/8', '2001:db8::/32'] });
    const refused = await call(`${closed}/healthz`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('allowIps');
    const open = await start({ allowIps: ['127.0.0.0/8'] });
    expect((await call(`${open}/healthz`)).status).toBe(200);
  });

  it('rejects a malformed allow list at creation, naming the entry', () => {
    expect(() => createServer({ log: memoryLog(), allowIps: ['10.0.0.300'] })).toThrow(/10\.0\.0\.300/);
  });
});
