/**
 * `herald/client` in a real browser (headless Chromium through playwright-core), bundled with
 * esbuild for the browser: a page publishes, subscribes and iterates; when the hub restarts on
 * the same port and SQLite file the client resumes by itself and shows every event once.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import { publish, range, startHub, type TestHub } from './helpers/sse-hub.js';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../', import.meta.url));

// The page's script: the client, bundled as the README would use it.
const ENTRY = `
  import { createClient } from './src/client/index.ts';
  const hub = createClient({ url: location.origin, retry: { initialMs: 50, maxMs: 400 } });
  const state = { subscribed: [], iterated: [], opens: 0, lost: [], errors: [] };
  window.state = state;
  hub.subscribe('browser.>', (e) => { state.subscribed.push(e.position); }, {
    onOpen: () => { state.opens++; },
    onError: (error) => { state.errors.push(String(error)); },
  });
  (async () => {
    for await (const e of hub.events('browser.>', { onOpen: () => { state.opens++; } })) {
      state.iterated.push(e.position);
    }
  })().catch((error) => state.errors.push(String(error)));
  window.publishFromPage = async (n) => (await hub.publish('browser.event', { n })).position;
`;

interface PageState {
  subscribed: number[];
  iterated: number[];
  opens: number;
  errors: string[];
}

// A page on another origin, with a token: every request is a CORS one with a preflight
// (Authorization, Last-Event-ID, a JSON POST), and Herald-Events-Lost must be readable.
const CROSS_ENTRY = `
  import { createClient } from './src/client/index.ts';
  const hub = createClient({ url: window.HUB, token: 'web-key-123456', retry: { initialMs: 50, maxMs: 400 } });
  const state = { subscribed: [], opens: 0, lost: [], errors: [] };
  window.state = state;
  hub.subscribe('browser.>', (e) => { state.subscribed.push(e.position); }, {
    lastEventId: 2,
    onOpen: () => { state.opens++; },
    onLost: (lost) => { state.lost.push(lost); },
    onError: (error) => { state.errors.push(error.code + ': ' + error.message); },
  });
  window.publishFromPage = async (n) => (await hub.publish('browser.event', { n })).position;
`;

const events = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ type: 'browser.event', data: { n: from + i } }));

const state = (page: Page): Promise<PageState> =>
  page.evaluate(() => (globalThis as unknown as { state: PageState }).state);

function run(): void {
  const dir = mkdtempSync(join(tmpdir(), 'herald-client-browser-'));
  const path = join(dir, 'events.db');
  let browser: Browser | undefined;
  const hubs: TestHub[] = [];
  afterAll(async () => {
    await browser?.close();
    for (const hub of hubs) {
      await hub.app.close();
      await hub.log.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a page publishes, subscribes and iterates; every event once across a hub restart', async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: root, loader: 'js' },
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    const page =
      '<!doctype html><meta charset="utf-8"><title>herald client</title><script src="/test/client.js"></script>';
    const setup = (app: TestHub['app']): void => {
      app.get('/test/page', (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
      app.get('/test/client.js', (_request, reply) => reply.type('text/javascript').send(script));
    };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    const first = await startHub({
      log: await sqliteLog({ path }),
      live: { retryMs: 50 },
      shutdownGraceMs: 500,
      setup,
    });
    hubs.push(first);
    const tab = await browser.newPage();
    await tab.goto(`${first.base}/test/page`);
    await tab.waitForFunction(() => (globalThis as unknown as { state: PageState }).state.opens === 2);
    await publish(first.base, events(1, 4));
    expect(
      await tab.evaluate(() =>
        (globalThis as unknown as { publishFromPage: (n: number) => Promise<number> }).publishFromPage(5),
      ),
    ).toBe(5);
    await tab.waitForFunction(() => {
      const s = (globalThis as unknown as { state: PageState }).state;
      return s.subscribed.length === 5 && s.iterated.length === 5;
    });

    // Restart: same port, same file. Events appended while no hub runs must arrive too.
    await first.app.close();
    await first.log.close();
    hubs.pop();
    const log = await sqliteLog({ path });
    await log.append(events(6, 2));
    const second = await startHub({
      log,
      port: first.port,
      live: { retryMs: 50 },
      shutdownGraceMs: 500,
      setup,
    });
    hubs.push(second);
    await publish(second.base, events(8, 3));
    await tab.waitForFunction(
      () => {
        const s = (globalThis as unknown as { state: PageState }).state;
        return s.subscribed.length >= 10 && s.iterated.length >= 10;
      },
      undefined,
      { timeout: 20_000 },
    );
    const final = await state(tab);
    expect(final.subscribed).toEqual(range(1, 10));
    expect(final.iterated).toEqual(range(1, 10));
    expect(final.opens).toBeGreaterThanOrEqual(4);
    expect(final.errors).toEqual([]);
  });

  it('from another origin with a token: CORS preflights, Herald-Events-Lost, resume after a cut', async () => {
    const bundle = await build({
      stdin: { contents: CROSS_ENTRY, resolveDir: root, loader: 'js' },
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    let hubBase = '';
    const pages: Server = createServer((request, response) => {
      if (request.url === '/client.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' });
        response.end(`window.HUB = ${JSON.stringify(hubBase)};\n${bundle.outputFiles[0]!.text}`);
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        '<!doctype html><meta charset="utf-8"><title>other origin</title><script src="/client.js"></script>',
      );
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const address = pages.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const origin = `http://127.0.0.1:${address.port}`;
    try {
      const log = memoryLog({ retention: { maxEvents: 5 } });
      const hub = await startHub({
        log,
        live: { retryMs: 50 },
        shutdownGraceMs: 500,
        cors: { origins: [origin] },
        auth: {
          keys: [{ name: 'web', key: 'web-key-123456', publish: ['browser.*'], subscribe: ['browser.>'] }],
        },
      });
      hubs.push(hub);
      hubBase = hub.base;
      const admin = { authorization: 'Bearer web-key-123456' };
      for (let n = 1; n <= 10; n++) {
        const res = await fetch(`${hub.base}/v1/events`, {
          method: 'POST',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify(events(n, 1)),
        });
        expect(res.status).toBe(201);
      }
      await log.applyRetention();
      browser ??= await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
      });
      const tab = await browser.newPage();
      await tab.goto(`${origin}/`);
      await tab.waitForFunction(
        () => (globalThis as unknown as { state: PageState }).state.subscribed.length === 5,
      );
      // A cut: the client comes back with Last-Event-ID (a header, so a preflight) and misses nothing.
      hub.app.server.closeAllConnections();
      await tab.waitForFunction(() => (globalThis as unknown as { state: PageState }).state.opens >= 2);
      expect(
        await tab.evaluate(() =>
          (globalThis as unknown as { publishFromPage: (n: number) => Promise<number> }).publishFromPage(11),
        ),
      ).toBe(11);
      await tab.waitForFunction(
        () => (globalThis as unknown as { state: PageState }).state.subscribed.length === 6,
      );
      const final = await tab.evaluate(
        () => (globalThis as unknown as { state: PageState & { lost: unknown[] } }).state,
      );
      expect(final.subscribed).toEqual([6, 7, 8, 9, 10, 11]);
      expect(final.lost).toEqual([{ from: 3, to: 5 }]);
      expect(final.errors).toEqual([]);
    } finally {
      await new Promise((resolve) => pages.close(resolve));
    }
  });
}

describe('herald/client in headless Chromium', () => {
  if (existsSync(CHROMIUM)) {
    run();
  } else {
    const reason = `no Chromium at ${CHROMIUM}`;
    if (process.env.CI === 'true') {
      it('runs in Chromium', () => {
        expect.fail(`${reason} (required under CI=true)`);
      });
    } else {
      console.warn(`skipping the client browser test: ${reason}`);
      it.skip(`runs in Chromium (skipped: ${reason})`, () => undefined);
    }
  }
});
