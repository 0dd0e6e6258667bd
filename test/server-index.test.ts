/**
 * `GET /`: a browser gets the dashboard (dist/dashboard, built by `npm run build`) or, when it is
 * not built (`dashboard: false` here), a small self-contained HTML page (no external resource, its
 * own strict CSP next to the hub's helmet headers); any other client a JSON index; all are public
 * and say nothing about the hub's configuration.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { openApiDocument } from '../src/server/openapi.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const KEY = 'index-admin-key-12345678';

let open: TestHub;
let authed: TestHub;
let withDashboard: TestHub;
beforeAll(async () => {
  // The simple page is what a hub serves when the dashboard is not built.
  open = await startHub({ log: memoryLog(), dashboard: false });
  authed = await startHub({
    log: memoryLog(),
    dashboard: false,
    auth: { keys: [{ name: 'admin', key: KEY, admin: true }] },
  });
  withDashboard = await startHub({ log: memoryLog() });
});
afterAll(async () => {
  for (const hub of [open, authed, withDashboard]) {
    await hub.app.close();
    await hub.log.close();
  }
});

describe('GET / with the dashboard built', () => {
  it('answers a browser with the dashboard page: no inline script, files under /dashboard/', async () => {
    const res = await fetch(`${withDashboard.base}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('vary')).toMatch(/accept/i);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    // Every script has a src (no inline script), and every file is ours.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    // The empty favicon (`data:,`) spares the browser a 404; everything else is a file of ours.
    expect(refs.filter((r) => !r.startsWith('/dashboard/'))).toEqual(['data:,']);
    const files = refs.filter((r) => r.startsWith('/dashboard/'));
    expect(files.length).toBe(2);
    for (const file of files) {
      expect(file).toMatch(/^\/dashboard\/app-[0-9a-f]{10}\.(js|css)$/);
      const asset = await fetch(`${withDashboard.base}${file}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(
        file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/,
      );
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const etag = asset.headers.get('etag')!;
      const again = await fetch(`${withDashboard.base}${file}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
  });

  it('still answers other clients with the JSON index', async () => {
    const res = await fetch(`${withDashboard.base}/`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await res.json()) as { version: string }).version).toBe(VERSION);
  });

  it('serves only the files of the build, nothing else of the disk', async () => {
    for (const path of ['manifest.json', 'nope.js', '..%2Fpackage.json', '%2E%2E%2F%2E%2E%2Fpackage.json']) {
      const res = await fetch(`${withDashboard.base}/dashboard/${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
    expect((await fetch(`${open.base}/dashboard/index.html`)).status).toBe(404);
  });
});

describe('GET / without the dashboard', () => {
  it('answers a browser with a small HTML page naming the hub, its version and its links', async () => {
    const res = await fetch(`${open.base}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('vary')).toMatch(/accept/i);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Herald hub');
    expect(html).toContain(`version ${VERSION}`);
    for (const href of ['/v1/openapi.json', '/healthz', '/metrics'])
      expect(html).toContain(`<a href="${href}">`);
    expect(html).toContain('docs/http-api.md');
    expect(html.length).toBeLessThan(4_000);
    // Self-contained: no script, no external URL to load.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|https?:\/\/(?!localhost:4021)/i);
  });

  it('keeps the hub’s helmet headers and adds a CSP that allows nothing but its inline style', async () => {
    const res = await fetch(`${open.base}/`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline|unsafe-eval|\*/);
    // The style the page carries is the one the CSP hashes.
    const { createHash } = await import('node:crypto');
    const style = /<style>([^<]*)<\/style>/.exec(await res.text())![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it.each([['application/json'], ['*/*'], [undefined], ['text/html;q=0.5, application/json']])(
    'answers Accept %s with the JSON index, and the index matches the OpenAPI schema',
    async (accept) => {
      const res = await fetch(`${open.base}/`, { headers: accept === undefined ? {} : { accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({
        name: 'herald',
        description: expect.any(String),
        version: VERSION,
        links: {
          openapi: '/v1/openapi.json',
          health: '/healthz',
          ready: '/readyz',
          metrics: '/metrics',
          events: '/v1/events',
          sse: '/v1/sse',
          ws: '/v1/ws',
        },
        docs: expect.arrayContaining(['docs/http-api.md']),
      });
      const op = (openApiDocument().paths['/'] as { get: { responses: Record<string, unknown> } }).get;
      const schema = (op.responses['200'] as { content: Record<string, { schema: { required: string[] } }> })
        .content['application/json']!.schema;
      expect(Object.keys(body).sort()).toEqual([...schema.required].sort());
    },
  );

  it('is public when auth is on, and tells an anonymous caller nothing about the hub’s setup', async () => {
    const html = await fetch(`${authed.base}/`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(200);
    const json = await fetch(`${authed.base}/`);
    expect(json.status).toBe(200);
    const withoutAuth = await (await fetch(`${open.base}/`)).text();
    // Same answer with and without auth: nothing depends on configuration, keys or data.
    expect(await json.text()).toBe(withoutAuth);
    expect(withoutAuth).not.toMatch(/key|token|sqlite|memory|127\.0\.0\.1|admin/i);
    // The API itself still needs a token.
    expect((await fetch(`${authed.base}/v1/events`)).status).toBe(401);
  });

  it('answers HEAD and refuses other methods as before', async () => {
    expect((await fetch(`${open.base}/`, { method: 'HEAD' })).status).toBe(200);
    const post = await fetch(`${open.base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(404);
  });

  it('is in the OpenAPI document as a public operation', () => {
    const doc = openApiDocument();
    expect(doc.paths['/']).toMatchObject({ get: { operationId: 'index', security: [] } });
    expect(doc.info.version).toBe(VERSION);
  });
});
