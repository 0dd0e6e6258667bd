/**
 * A real browser's EventSource (headless Chromium through playwright-core) against a hub started
 * with the defaults (no auth, no CORS configuration, bound to loopback), from a page served by
 * another server on another loopback port, as a developer's app would be. The page runs the
 * README's line, `new EventSource('http://localhost:<port>/v1/sse?types=order.>')`, with the
 * `onmessage` every tutorial uses: it receives events POSTed from Node and from the page itself,
 * and when the hub restarts on the same port and SQLite file it reconnects by itself with
 * Last-Event-ID and ends up with every event once. The hub's `GET /` renders in the browser too.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { publish, range, startHub, type TestHub } from './helpers/sse-hub.js';

const CHROMIUM = '/usr/bin/chromium';

// The script is a file of its own, as an app's would be (and so no inline script is needed).
const PAGE = '<!doctype html><meta charset="utf-8"><title>my app</title><script src="/app.js"></script>';

/** The README's browser line: `new EventSource('http://localhost:4021/v1/sse?...')`. */
const README_LINE = /new EventSource\('http:\/\/localhost:4021(\/v1\/sse\?[^']*)'\)/.exec(
  readFileSync(new URL('../README.md', import.meta.url), 'utf8'),
);

/** The app's script: the README's line, verbatim but for the port, and `onmessage`. */
const SCRIPT = (hubPort: number, ssePath: string) => `
  window.received = [];
  window.opens = 0;
  window.errors = 0;
  const source = new EventSource('http://localhost:${hubPort}${ssePath}');
  source.onmessage = (e) => {
    const event = JSON.parse(e.data);
    window.received.push({ id: e.lastEventId, type: event.type, n: event.data.n });
  };
  source.onopen = () => { window.opens++; };
  source.onerror = () => { window.errors++; };
  // A loopback page may also publish and query (JSON, so the browser preflights it).
  window.publishFromPage = (n) =>
    fetch('http://localhost:${hubPort}/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'order.created', data: { n } }),
    }).then((r) => r.status);
  window.query = () =>
    fetch('http://localhost:${hubPort}/v1/events?types=order.>&limit=1000')
      .then((r) => r.json())
      .then((body) => body.events.length);
`;

interface Received {
  id: string;
  type: string;
  n: number;
}

const orders = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ type: 'order.created', data: { n: from + i } }));

const received = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { received: Received[] }).received);
const waitReceived = (page: Page, count: number, timeout = 10_000) =>
  page.waitForFunction(
    (n) => (globalThis as unknown as { received: unknown[] }).received.length >= n,
    count,
    { timeout },
  );

function run(): void {
  const dir = mkdtempSync(join(tmpdir(), 'herald-browser-'));
  const path = join(dir, 'events.db');
  let browser: Browser;
  let app: Server;
  let appBase = '';
  let hub: TestHub | undefined;
  let hubPort = 0;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // The hub as `herald serve` starts it by default: no auth, no cors, on 127.0.0.1.
    hub = await startHub({ log: await sqliteLog({ path }), live: { retryMs: 50 }, dashboard: false });
    hubPort = hub.port;
    // The developer's app: another server on another loopback port.
    app = createHttpServer((req, res) => {
      if (req.url === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(SCRIPT(hubPort, README_LINE![1]!));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appBase = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await browser.close();
    await new Promise((resolve) => app.close(resolve));
    if (hub) {
      await hub.app.close();
      await hub.log.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the README's EventSource line from a page on another localhost port: onmessage gets the events", async () => {
    expect(README_LINE?.[1], 'the README has its EventSource line').toBe('/v1/sse?types=order.>');
    const page = await browser.newPage();
    await page.goto(`${appBase}/`);
    await page.waitForFunction(() => (globalThis as unknown as { opens: number }).opens === 1);
    // POSTed to the hub from elsewhere (Node), and from the page itself.
    await publish(hub!.base, orders(1, 3));
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { publishFromPage: (n: number) => Promise<number> }).publishFromPage(4),
      ),
    ).toBe(201);
    await publish(hub!.base, [{ type: 'other.event', data: { n: 0 } }, ...orders(5, 1)]);
    await waitReceived(page, 5);
    const got = await received(page);
    expect(got.map((r) => r.n)).toEqual(range(1, 5));
    expect(got.every((r) => r.type === 'order.created')).toBe(true);
    expect(got.map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 6]);
    expect(
      await page.evaluate(() => (globalThis as unknown as { query: () => Promise<number> }).query()),
    ).toBe(5);
    expect(await page.evaluate(() => (globalThis as unknown as { errors: number }).errors)).toBe(0);
    await page.close();
  });

  it("a page's EventSource gets every event once, in order, across a hub restart", async () => {
    const page = await browser.newPage();
    await page.goto(`${appBase}/`);
    await page.waitForFunction(() => (globalThis as unknown as { opens: number }).opens === 1);
    // A new page starts at the end: only what comes next.
    await publish(hub!.base, orders(101, 5));
    await waitReceived(page, 5);

    // Restart: same port, same file. Events appended while no hub runs must arrive too.
    await hub!.app.close();
    await hub!.log.close();
    hub = undefined;
    const log = await sqliteLog({ path });
    await log.append(orders(106, 2));
    hub = await startHub({ log, port: hubPort, live: { retryMs: 50 }, dashboard: false });
    await publish(hub.base, orders(108, 3));
    await waitReceived(page, 10, 20_000);

    const got = await received(page);
    expect(got.map((r) => r.n)).toEqual(range(101, 110));
    const ids = got.map((r) => Number(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(10);
    expect(
      await page.evaluate(() => (globalThis as unknown as { opens: number }).opens),
    ).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it("renders the hub's GET / page without the dashboard, with no CSP violation", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const response = await page.goto(`http://localhost:${hubPort}/`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Herald hub');
    expect(await page.locator('a[href="/v1/openapi.json"]').count()).toBe(1);
    // The inline style applied: the CSP hash matched.
    const maxWidth = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { body: unknown };
        getComputedStyle(element: unknown): { maxWidth: string };
      };
      return g.getComputedStyle(g.document.body).maxWidth;
    });
    expect(maxWidth).not.toBe('none');
    expect(problems).toEqual([]);
    await page.close();
  });
}

describe('SSE in headless Chromium', () => {
  if (existsSync(CHROMIUM)) {
    run();
  } else {
    const reason = `no Chromium at ${CHROMIUM}`;
    if (process.env.CI === 'true') {
      it('runs in Chromium', () => {
        expect.fail(`${reason} (required under CI=true)`);
      });
    } else {
      console.warn(`skipping the browser SSE test: ${reason}`);
      it.skip(`runs in Chromium (skipped: ${reason})`, () => undefined);
    }
  }
});
