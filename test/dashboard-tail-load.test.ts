/**
 * The Live tail under load, in headless Chromium against a hub on SQLite: 12,000 events published
 * at 1,000 a second (batches of 100 every 100 ms). Asserted: every event arrives in order with
 * none repeated until the bound, the page keeps exactly the newest 10,000 rows, and the DOM holds
 * only the rows in view (virtualised). Measured and printed, never asserted (timing depends on the
 * machine): frames per second and the longest frame while the events arrive, the JS heap, and
 * the time from the last publish to its row on screen.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInChromium } from './helpers/chromium.js';
import { forEachDashboardBackend, openDashboard, type OpenDashboard } from './helpers/dashboard-hub.js';
import type { TestHub } from './helpers/sse-hub.js';

const RATE = 1_000;
const SECONDS = 12;
const BATCH = 100;

describeInChromium('the Live tail at 1,000 events a second', () => {
  forEachDashboardBackend('tail load', (backend) => {
    let d: OpenDashboard | undefined;
    let hub: TestHub;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      d = await openDashboard(backend);
      ({ hub, page, problems } = d);
    }, 60_000);

    afterAll(() => d?.close());

    it('keeps up, keeps the newest 10,000 rows, and renders only the rows in view', async () => {
      await page.goto(`${hub.base}/#/tail`);
      await page.getByLabel('Pattern').fill('load.>');
      await page.getByLabel('Pattern').press('Enter');
      await expect.poll(() => page.textContent('[data-testid=status]')).toContain('Live from the head');

      // Frame times while the events arrive, from requestAnimationFrame.
      await page.evaluate(() => {
        const w = window as unknown as { frames_: number[]; stop_: boolean };
        w.frames_ = [];
        w.stop_ = false;
        let last = performance.now();
        const tick = (t: number) => {
          w.frames_.push(t - last);
          last = t;
          if (!w.stop_) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });

      const started = Date.now();
      let sent = 0;
      const batches = (RATE * SECONDS) / BATCH;
      for (let b = 0; b < batches; b++) {
        const due = started + (b * BATCH * 1000) / RATE;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const events = Array.from({ length: BATCH }, () => ({ type: 'load.tick', data: { n: ++sent } }));
        const res = await fetch(`${hub.base}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(events),
        });
        expect(res.status).toBe(201);
      }
      const publishedMs = Date.now() - started;
      const lastSent = Date.now();

      await expect
        .poll(() => page.textContent('[data-testid=status]'), { timeout: 30_000 })
        .toContain(`${(10_000).toLocaleString('en')} rows`);
      // The newest event is on screen (the list follows the bottom).
      const head = await lastPosition(hub);
      await expect.poll(() => positionsShown(page), { timeout: 30_000 }).toContain(head);
      const catchUpMs = Date.now() - lastSent;

      const figures = await page.evaluate(() => {
        const w = window as unknown as { frames_: number[]; stop_: boolean };
        w.stop_ = true;
        const frames = w.frames_.slice(1);
        const total = frames.reduce((a, b) => a + b, 0);
        const sorted = [...frames].sort((a, b) => a - b);
        const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
        return {
          fps: frames.length / (total / 1000),
          p95: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
          longest: sorted[sorted.length - 1] ?? 0,
          heapMb: memory === undefined ? undefined : memory.usedJSHeapSize / 1e6,
          domRows: document.querySelectorAll('[data-testid=rows] [role=option]').length,
        };
      });
      console.log(
        `tail load (${backend.name}): ${sent} events in ${publishedMs} ms (${Math.round((sent * 1000) / publishedMs)}/s); ` +
          `${figures.fps.toFixed(1)} fps, p95 frame ${figures.p95.toFixed(1)} ms, longest ${figures.longest.toFixed(1)} ms; ` +
          `heap ${figures.heapMb?.toFixed(1) ?? '?'} MB; ${figures.domRows} rows in the DOM; last event on screen ${catchUpMs} ms after its publish returned`,
      );

      // Virtualised: the DOM holds the rows in view plus the overscan, not 10,000.
      expect(figures.domRows).toBeGreaterThan(0);
      expect(figures.domRows).toBeLessThan(120);
      // Bounded, newest kept, in order, nothing repeated: scroll to the top and read the first rows.
      await page.$eval('.viewport', (el) => (el.scrollTop = 0));
      const first = firstKept(head);
      await expect.poll(() => positionsShown(page)).toContain(first);
      const top = await positionsShown(page);
      expect(top.slice(0, 5)).toEqual([first, first + 1, first + 2, first + 3, first + 4]);
      expect(problems).toEqual([]);
    }, 120_000);
  });
});

/** The positions of the rows in the DOM, top to bottom. */
function positionsShown(page: Page): Promise<number[]> {
  return page.$$eval('[data-testid=rows] [role=option] .pos', (els) => els.map((e) => Number(e.textContent)));
}

/** The log's head: the position of the last event published. */
async function lastPosition(hub: TestHub): Promise<number> {
  return (await hub.log.bounds()).last;
}

/** The first position the tail keeps: the newest 10,000 of positions 1..last. */
function firstKept(last: number): number {
  return last - 10_000 + 1;
}
