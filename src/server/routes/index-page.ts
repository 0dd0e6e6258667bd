import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import { hubVersion } from '../hub-version.js';

/** Where a newcomer goes next: every link is a route of this hub. */
const LINKS = {
  openapi: '/v1/openapi.json',
  health: '/healthz',
  ready: '/readyz',
  metrics: '/metrics',
  events: '/v1/events',
  sse: '/v1/sse',
  ws: '/v1/ws',
} as const;

const DOCS = ['README.md', 'docs/http-api.md', 'docs/live.md', 'docs/auth.md'] as const;

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}' +
  'code,pre{font:14px ui-monospace,monospace;background:#f3f3f3;border-radius:4px}' +
  'code{padding:0 .2em}pre{padding:.6em;overflow-x:auto}h1{font-size:1.6rem;margin-bottom:0}' +
  '.v{color:#666;margin-top:0}';

/**
 * The page's own policy: no script, no image, no frame, no form, no external anything; only its
 * inline style, by hash. The hub's helmet headers (set by the first hook) go out unchanged.
 */
const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The dashboard's policy: its own script and style files only (no inline script or style), API
 * calls to this origin only, nothing from any other origin, no framing.
 */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** Where the built dashboard is: dist/dashboard next to dist/server (or, from src, under dist). */
function defaultDashboardDir(): string | undefined {
  for (const rel of ['../../dashboard/', '../../../dist/dashboard/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'manifest.json'))) return dir;
  }
  return undefined;
}

/**
 * The dashboard's files, read once at start (they change only with a build): the ones its
 * `manifest.json` lists, so nothing else in the folder can be served. Undefined when not built.
 */
function loadDashboard(dir: string | false | undefined): Map<string, Asset> | undefined {
  const root = dir === false ? undefined : (dir ?? defaultDashboardDir());
  if (root === undefined || !existsSync(join(root, 'manifest.json'))) return undefined;
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { files?: unknown };
  const assets = new Map<string, Asset>();
  for (const name of Array.isArray(manifest.files) ? manifest.files : []) {
    if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) continue;
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (type === undefined) continue;
    const body = readFileSync(join(root, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets.has('index.html') ? assets : undefined;
}

/** Hashed names (`app-<hash>.js`) never change content: cached for a year; the page revalidates. */
const IMMUTABLE = /-[0-9a-f]{8,}\.\w+$/;

/**
 * `GET /`: what this server is. A browser (`Accept` preferring `text/html`) gets a small page,
 * with no external resource, naming the hub and its version and linking to the OpenAPI document,
 * health, metrics and the docs; any other client a small JSON index. Public (no token, even when
 * auth is on), so it says nothing about the hub's configuration, data or callers.
 *
 * @example
 * ```ts
 * indexRoutes(app);
 * ```
 */
export function indexRoutes(app: FastifyInstance, dashboardDir?: string | false): void {
  const version = hubVersion();
  const html = page(version);
  const dashboard = loadDashboard(dashboardDir);
  const dashboardPage = dashboard?.get('index.html');
  const json = JSON.stringify({
    name: 'herald',
    description: 'Herald event hub: CloudEvents ingest, queries, and live delivery over SSE and WebSocket.',
    version,
    links: LINKS,
    docs: DOCS,
  });
  app.get('/', { config: { public: true } }, (request, reply) => {
    void reply.header('vary', 'Accept');
    if (prefersHtml(request)) {
      if (dashboardPage !== undefined) {
        return reply
          .header('content-security-policy', DASHBOARD_CSP)
          .header('cache-control', 'no-cache')
          .header('etag', dashboardPage.etag)
          .type(dashboardPage.type)
          .send(dashboardPage.body);
      }
      return reply
        .header('content-security-policy', PAGE_CSP)
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8')
        .send(html);
    }
    return reply.type('application/json; charset=utf-8').send(json);
  });
  // The dashboard's own files, public like the page (they hold no data): hashed names are
  // immutable, anything else (index.html) is revalidated by ETag.
  app.get<{ Params: { file: string } }>(
    '/dashboard/:file',
    { config: { public: true } },
    (request, reply) => {
      const asset = dashboard?.get(request.params.file);
      if (asset === undefined) throw new HeraldError('NOT_FOUND', 'no such dashboard file');
      void reply
        .header('content-security-policy', DASHBOARD_CSP)
        .header('etag', asset.etag)
        .header(
          'cache-control',
          IMMUTABLE.test(request.params.file) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.type(asset.type).send(asset.body);
    },
  );
}

function page(version: string): string {
  const link = (href: string, text = href) => `<a href="${href}">${text}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald hub</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Herald hub</h1>
<p class="v">version ${version}</p>
<p>This server is a Herald event hub: it stores CloudEvents in a durable log, answers queries on it,
and delivers events live over Server-Sent Events and WebSocket, resuming without gaps.</p>
<h2>API</h2>
<ul>
<li>${link(LINKS.openapi)}: the OpenAPI 3.1 document of every route</li>
<li>${link(LINKS.health)} (liveness) and ${link(LINKS.ready)} (readiness)</li>
<li>${link(LINKS.metrics)}: Prometheus metrics (admins only when auth is on, unless public)</li>
<li><code>POST ${LINKS.events}</code> publishes, <code>GET ${LINKS.events}</code> queries,
<code>GET ${LINKS.sse}</code> and <code>${LINKS.ws}</code> deliver live</li>
</ul>
<h2>Try it</h2>
<p>With <code>HUB</code> the address of this page (for example <code>http://localhost:4021</code>):</p>
<pre>curl -N "$HUB${LINKS.sse}?types=order.&gt;"
curl -X POST "$HUB${LINKS.events}" -H 'content-type: application/json' \\
  -d '{"type":"order.created","data":{"id":"o-1"}}'</pre>
<p>In a page: <code>new EventSource(HUB + '${LINKS.sse}?types=order.&gt;').onmessage = (e) =&gt; ...</code></p>
<h2>Docs</h2>
<p>In Herald's repository: ${DOCS.map((d) => `<code>${d}</code>`).join(', ')}.</p>
</body>
</html>
`;
}

/** True when the client's `Accept` ranks `text/html` above `application/json` (ties go to JSON). */
function prefersHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (accept === undefined) return false;
  return quality(accept, 'text', 'html') > quality(accept, 'application', 'json');
}

/** The quality `accept` gives `type/subtype`, by its most specific matching range (0: none). */
function quality(accept: string, type: string, subtype: string): number {
  let best = -1;
  let q = 0;
  for (const range of accept.split(',')) {
    const [media = '', ...params] = range.split(';');
    const [t = '', s = ''] = media.trim().toLowerCase().split('/');
    const specificity = t === type && s === subtype ? 2 : t === type && s === '*' ? 1 : t === '*' ? 0 : -1;
    if (specificity < 0 || specificity < best) continue;
    let value = 1;
    for (const param of params) {
      const [name, v] = param.split('=');
      if (name?.trim().toLowerCase() === 'q') value = Number.parseFloat(v ?? '');
    }
    best = specificity;
    q = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  }
  return q;
}
