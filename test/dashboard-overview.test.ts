/**
 * The dashboard's Overview in headless Chromium, against a hub on SQLite and on PostgreSQL: it is
 * the default view, shows the backend and a head that matches the log, draws the rate plot,
 * shows rates and the busiest types after events are published over HTTP (and delivered to an
 * SSE client), lists the lagging group with a link to it, switches its window from the keyboard,
 * passes axe, and on a hub with auth and no token shows an "enter a token" state, not an error.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventLog } from '../src/log/types.js';
import { axeViolations, describeInChromium, screenshot, tabTo } from './helpers/chromium.js';
import { forEachDashboardBackend, openDashboard, type OpenDashboard } from './helpers/dashboard-hub.js';
import { publish, type TestHub } from './helpers/sse-hub.js';

/** How long to wait for what the page shows: its polls run every 1 to 2 s. */
const WAIT = { timeout: 5_000 };

const post = async (base: string, path: string, body: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
};

/** An admin key and a key limited to order events. */
const AUTH_KEYS = [
  { name: 'ops', key: 'ops-key-123456', admin: true },
  { name: 'shop', key: 'shop-key-12345', publish: ['order.*'], subscribe: ['order.>'] },
];

describeInChromium('the dashboard overview', () => {
  forEachDashboardBackend('the overview', (backend) => {
    let d: OpenDashboard | undefined;
    let log: EventLog;
    let hub: TestHub;
    let page: Page;
    let problems: string[];
    const sse = new AbortController();

    beforeAll(async () => {
      d = await openDashboard(backend);
      ({ log, hub, page, problems } = d);
      await publish(hub.base, [{ type: 'boot.started', data: {} }]);
    }, 60_000);

    afterAll(async () => {
      sse.abort();
      await d?.close();
    });

    const cell = (group: string, column: number) =>
      page.textContent(`[data-testid=lagging-groups] tr[data-group="${group}"] td:nth-child(${column})`);
    const typeRow = (type: string) =>
      page.$$eval(`[data-testid=top-types] tr[data-type="${type}"] td`, (tds) =>
        tds.map((td) => td.textContent.trim()),
      );

    it('is the default view: backend, a head that matches the log, guarantees, a drawn plot', async () => {
      const response = await page.goto(`${hub.base}/`);
      expect(response?.status()).toBe(200);
      await expect.poll(() => page.textContent('[data-testid=overview-backend]'), WAIT).toBe(backend.name);
      expect(await page.title()).toBe('Overview · Herald dashboard');
      const { last } = await log.bounds();
      expect(last).toBe(1);
      expect(await page.textContent('[data-testid=overview-head]')).toBe(String(last));
      expect(await page.textContent('[data-testid=guarantees]')).toContain(
        'Stored events survive a restart of the hub.',
      );
      expect(await page.textContent('[data-testid=guarantees]')).toContain(
        'Several processes and hubs may share the log.',
      );
      expect(await page.textContent('[data-testid=health]')).toMatch(/Health: ok · Readiness: ready/);
      // uPlot drew its canvas, with a size, inside a labelled wrapper.
      const canvas = await page.$eval('[data-testid=rate-plot] canvas', (c) => ({
        width: (c as HTMLCanvasElement).width,
        height: (c as HTMLCanvasElement).height,
      }));
      expect(canvas.width).toBeGreaterThan(300);
      expect(canvas.height).toBeGreaterThan(100);
      expect(await page.getAttribute('[data-testid=rate-plot] [role=img]', 'aria-label')).toContain(
        'Events per second',
      );
      expect(await page.textContent('.rates')).toContain('start empty when the hub restarts');
      expect(problems).toEqual([]);
    });

    it('shows rates, live clients and the busiest types after events are published over HTTP', async () => {
      // A live SSE client, so the hub delivers what is published.
      const stream = await fetch(`${hub.base}/v1/sse?types=order.>`, { signal: sse.signal });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      void (async () => {
        for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return;
      })();
      await expect
        .poll(() => page.textContent('[data-testid=overview-live]'), WAIT)
        .toBe('1 SSE · 0 WebSocket');

      await publish(hub.base, [
        ...Array.from({ length: 5 }, (_, i) => ({ type: 'order.created', data: { n: i } })),
        { type: 'user.created', data: {} },
        { type: 'user.created', data: {} },
      ]);
      await expect
        .poll(() => typeRow('order.created'), { timeout: 10_000 })
        .toEqual(['order.created', '5', '5']);
      expect(await typeRow('user.created')).toEqual(['user.created', '2', '0']);
      await expect
        .poll(() => page.textContent('[data-testid=overview-head]'), WAIT)
        .toBe(String((await log.bounds()).last));
      expect(await page.textContent('[data-testid=rate-summary]')).toMatch(
        /Over the last 5 min: 8 published .*, 5 delivered/,
      );
      expect(problems).toEqual([]);
    });

    it('lists the lagging group, switches the window and follows a group link from the keyboard', async () => {
      // A group of order.> from the start, two deliveries pulled, one dead-lettered at once and
      // the other not acked: lag 3, pending 1, one dead letter.
      const pulled = (await post(hub.base, '/v1/groups/mailer/pull', {
        types: ['order.>'],
        startAt: 'start',
        max: 2,
      })) as { deliveries: { receipt: string }[] };
      expect(pulled.deliveries).toHaveLength(2);
      await post(hub.base, '/v1/groups/mailer/nack', {
        receipts: [pulled.deliveries[1]!.receipt],
        deadLetter: true,
        error: 'no such mailbox',
      });
      await expect.poll(() => cell('mailer', 2), { timeout: 10_000 }).toBe('3');
      await expect.poll(() => cell('mailer', 4), WAIT).toBe('1');
      expect(await cell('mailer', 3)).toBe('1');
      expect(
        await page.getAttribute(
          '[data-testid=lagging-groups] tr[data-group="mailer"] td:nth-child(4) a',
          'href',
        ),
      ).toBe('#/dead-letters/mailer');

      // The window switch, by keyboard alone.
      await page.locator('body').focus();
      await tabTo(page, '[data-testid=window-3600]');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.getAttribute('[data-testid=window-3600]', 'aria-pressed'), WAIT)
        .toBe('true');
      expect(await page.getAttribute('[data-testid=window-300]', 'aria-pressed')).toBe('false');
      await expect.poll(() => page.textContent('#types-title'), WAIT).toBe('Busiest types, last 1 h');
      await expect
        .poll(() => page.textContent('[data-testid=rate-summary]'), WAIT)
        .toContain('Over the last 1 h');
      await page.keyboard.press('Space');
      expect(await page.getAttribute('[data-testid=window-3600]', 'aria-pressed')).toBe('true');

      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `overview-${backend.name}`);

      await tabTo(page, 'a[href="#/groups/mailer"]');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => location.hash), WAIT).toBe('#/groups/mailer');
      await expect.poll(() => page.textContent('#groups-title'), WAIT).toBe('Group mailer');
      expect(problems).toEqual([]);
    }, 30_000);
  });

  forEachDashboardBackend('the overview on a hub with auth', (backend) => {
    let d: OpenDashboard | undefined;
    let hub: TestHub;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      d = await openDashboard(backend, { hub: { auth: { keys: AUTH_KEYS } } });
      ({ hub, page, problems } = d);
    }, 60_000);

    afterAll(() => d?.close());

    it('asks for a token instead of showing an error, then shows what the token may read', async () => {
      await page.goto(`${hub.base}/`);
      await expect.poll(() => page.textContent('[data-testid=locked]'), WAIT).toContain('Enter a token');
      expect(await page.$('[data-testid=overview-backend]')).toBeNull();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `overview-no-token-${backend.name}`);
      // The browser logs each refused request (401) as a console error; those are expected here.
      expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);

      await page.getByLabel('Token').fill('shop-key-12345');
      await page.getByRole('button', { name: 'Use token' }).click();
      await expect.poll(() => page.textContent('[data-testid=overview-backend]'), WAIT).toBe(backend.name);
      expect(await page.$('[data-testid=locked]')).toBeNull();
      // A request sent before the token may still come back 401; from the next poll on, none may.
      problems.length = 0;
      const uptime = await page.textContent('[data-testid=overview-uptime]');
      await expect.poll(() => page.textContent('[data-testid=overview-uptime]'), WAIT).not.toBe(uptime);
      expect(problems).toEqual([]);
    });
  });
});
