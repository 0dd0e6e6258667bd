/**
 * A real browser's EventSource (headless Chromium through playwright-core) against the hub:
 * it receives events published from Node, and when the hub restarts on the same port and
 * SQLite file it reconnects by itself with Last-Event-ID and ends up with every event once.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { publish, range, startHub, type TestHub } from './helpers/sse-hub.js';

const CHROMIUM = '/usr/bin/chromium';

// Served by the hub itself, so the page and the stream share an origin. The script is a file
// of its own because the hub's Content-Security-Policy refuses inline scripts.
const PAGE =
  '<!doctype html><meta charset="utf-8"><title>herald sse</title><script src="/test/page.js"></script>';
const SCRIPT = `
  window.received = [];
  window.opens = 0;
  window.errors = 0;
  const source = new EventSource('/v1/sse?types=browser.>');
  source.onmessage = (e) => {
    window.received.push({ id: e.lastEventId, n: JSON.parse(e.data).data.n });
  };
  source.onopen = () => { window.opens++; };
  source.onerror = () => { window.errors++; };
`;

interface Received {
  id: string;
  n: number;
}

const events = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ type: 'browser.event', data: { n: from + i } }));

function run(): void {
  const dir = mkdtempSync(join(tmpdir(), 'herald-browser-'));
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

  it("a page's EventSource gets every event once, in order, across a hub restart", async () => {
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
    const first = await startHub({
      log: await sqliteLog({ path }),
      live: { retryMs: 50 },
      setup: (app) => {
        app.get('/test/page', (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
        app.get('/test/page.js', (_request, reply) => reply.type('text/javascript').send(SCRIPT));
      },
    });
    hubs.push(first);
    const page = await browser.newPage();
    await page.goto(`${first.base}/test/page`);
    await page.waitForFunction(() => (globalThis as unknown as { opens: number }).opens === 1);
    await publish(first.base, events(1, 5));
    await page.waitForFunction(
      () => (globalThis as unknown as { received: unknown[] }).received.length === 5,
    );

    // Restart: same port, same file. Events appended while no hub runs must arrive too.
    await first.app.close();
    await first.log.close();
    hubs.pop();
    const log = await sqliteLog({ path });
    await log.append(events(6, 2));
    const second = await startHub({ log, port: first.port, live: { retryMs: 50 } });
    hubs.push(second);
    await publish(second.base, events(8, 3));
    await page.waitForFunction(
      () => (globalThis as unknown as { received: unknown[] }).received.length >= 10,
      undefined,
      {
        timeout: 20_000,
      },
    );

    const received = await page.evaluate(() => (globalThis as unknown as { received: Received[] }).received);
    expect(received.map((r) => r.n)).toEqual(range(1, 10));
    expect(received.map((r) => Number(r.id))).toEqual(range(1, 10));
    expect(
      await page.evaluate(() => (globalThis as unknown as { opens: number }).opens),
    ).toBeGreaterThanOrEqual(2);
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
