/**
 * The dashboard in headless Chromium (playwright-core), served by a hub on SQLite at `/`: the page
 * loads with no console error and no CSP violation, shows the backend and head, validates the
 * pattern as you type, tails events published from Node, and pause/resume loses nothing and
 * repeats nothing. A screenshot goes to a temporary folder (printed, not kept in the repository).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { axeViolations, describeInChromium, openChromium, screenshot } from './helpers/chromium.js';
import { publish, startHub, type TestHub } from './helpers/sse-hub.js';

describeInChromium('the dashboard in headless Chromium', () => {
  let dir: string;
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-dashboard-'));
    hub = await startHub({ log: await sqliteLog({ path: join(dir, 'hub.db') }) });
    // One event before the page opens: the head is not 0, and the tail (from the end) skips it.
    await publish(hub.base, [{ type: 'order.created', data: { n: 0 } }]);
    // Pausing the tail aborts its stream on purpose.
    ({ browser, page, problems } = await openChromium({ abortable: ['/v1/sse'] }));
  }, 30_000);

  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (hub as TestHub | undefined)?.app.close();
    await (hub as TestHub | undefined)?.log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () =>
    page.$$eval('[data-testid=rows] [role=option]', (items) =>
      items.map((li) => ({
        position: Number(li.getAttribute('data-position')),
        type: li.querySelector('.type')?.textContent ?? '',
      })),
    );
  const orders = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ type: 'order.created', data: { n: from + i } }));

  it('loads at / with the header, no console error and no CSP violation', async () => {
    const response = await page.goto(`${hub.base}/#/tail`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => page.textContent('[data-testid=backend]')).toBe('sqlite');
    expect(await page.textContent('[data-testid=head]')).toBe('1');
    expect(await page.title()).toBe('Live tail · Herald dashboard');
    // The bound is stated in the page.
    expect(await page.textContent('[data-testid=status]')).toContain('the last 10,000 are');
    expect(problems).toEqual([]);
  });

  it('validates the pattern as you type, inline and announced', async () => {
    const input = page.getByLabel('Pattern');
    await input.fill('order.>.created');
    expect(await page.textContent('[data-testid=pattern-error]')).toContain('is not the last token');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Start' }).isDisabled()).toBe(true);
    await input.fill('ord*er.created');
    expect(await page.textContent('[data-testid=pattern-error]')).toContain(
      'a wildcard must be a whole token',
    );
    await input.fill('order..x');
    expect(await page.textContent('[data-testid=pattern-error]')).toContain('empty token');
    expect(await page.getAttribute('[data-testid=pattern-error]', 'aria-live')).toBe('polite');
    await input.fill('order.>');
    expect(await page.textContent('[data-testid=pattern-error]')).toBe('');
    expect(await input.getAttribute('aria-invalid')).toBe('false');
  });

  it('tails matching events, and pause then resume loses and repeats nothing', async () => {
    // Start from the keyboard: Enter in the pattern field submits.
    await page.getByLabel('Pattern').press('Enter');
    await expect.poll(() => page.textContent('[data-testid=status]')).toContain('Live from the head');
    await publish(hub.base, [...orders(1, 5), { type: 'user.created', data: { n: -1 } }]);
    await expect.poll(async () => (await rows()).length, { timeout: 5_000 }).toBe(5);

    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.textContent('[data-testid=status]')).toContain('Paused');
    await publish(hub.base, orders(6, 5));
    await publish(hub.base, orders(11, 5));
    await new Promise((r) => setTimeout(r, 300));
    expect((await rows()).length).toBe(5);

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(async () => (await rows()).length, { timeout: 5_000 }).toBe(15);
    await publish(hub.base, orders(16, 2));
    await expect.poll(async () => (await rows()).length, { timeout: 5_000 }).toBe(17);
    await new Promise((r) => setTimeout(r, 200));
    const seen = await rows();
    expect(seen.length).toBe(17);
    expect(seen.every((r) => r.type === 'order.created')).toBe(true);
    // Positions 2..7 (n 1..5, then the skipped user.created at 7), 8..17 and 18..19: each once, in order.
    const positions = seen.map((r) => r.position);
    expect(positions).toEqual([2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);

    // The header's head moves with the tail, without waiting for its 5 s refresh.
    expect(await page.textContent('[data-testid=head]')).toBe('19');

    // The list is a listbox: from the keyboard, Home selects the first row and its CloudEvent shows.
    await page.getByRole('listbox').focus();
    await page.keyboard.press('Home');
    const json = JSON.parse(
      (await page.textContent('[data-testid=event-detail] [data-testid=json]')) ?? '{}',
    );
    expect(json).toMatchObject({ type: 'order.created', data: { n: 1 }, position: 2, specversion: '1.0' });
    await page.keyboard.press('ArrowDown');
    expect(await page.textContent('[data-testid=event-detail] [data-testid=json]')).toContain(
      '"position": 3',
    );
    expect(await page.getAttribute('[role=option][aria-selected=true]', 'data-position')).toBe('3');

    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'live-tail');
    expect(problems).toEqual([]);
  }, 30_000);
});
