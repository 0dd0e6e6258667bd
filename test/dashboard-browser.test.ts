/**
 * The dashboard's shell and Live tail in headless Chromium (playwright-core), served by a hub at
 * `/` on SQLite and on PostgreSQL: the page loads with no console error and no CSP violation,
 * shows the backend and head, validates the pattern as you type, tails events published from
 * Node, and pause/resume loses nothing and repeats nothing; the list is driven by the keyboard
 * and axe-core finds nothing. With auth on: no token shows what to do, a non-admin key sees no
 * admin view and is refused one anyway; every view is reachable with the keyboard alone.
 * Screenshots go to a temporary folder (printed, not kept in the repository).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { axeViolations, describeInChromium, openChromium, screenshot, tabTo } from './helpers/chromium.js';
import { forEachDashboardBackend, openDashboard, type OpenDashboard } from './helpers/dashboard-hub.js';
import { publish, startHub, type TestHub } from './helpers/sse-hub.js';

describeInChromium('the dashboard in headless Chromium', () => {
  forEachDashboardBackend('shell and tail', (backend) => {
    let d: OpenDashboard | undefined;
    let hub: TestHub;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      // Pausing the tail aborts its stream on purpose.
      d = await openDashboard(backend, { abortable: ['/v1/sse'] });
      ({ hub, page, problems } = d);
      // One event before the page opens: the head is not 0, and the tail (from the end) skips it.
      await publish(hub.base, [{ type: 'order.created', data: { n: 0 } }]);
    }, 30_000);

    afterAll(() => d?.close());

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
      await expect.poll(() => page.textContent('[data-testid=backend]')).toBe(backend.name);
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
      await screenshot(page, `live-tail-${backend.name}`);
      expect(problems).toEqual([]);
    }, 30_000);
  });
});

describeInChromium('the dashboard with auth on', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const KEYS = [
    { name: 'ops', key: 'ops-key-1234567', admin: true },
    { name: 'reader', key: 'reader-key-1234', subscribe: ['order.>'] },
  ];

  beforeAll(async () => {
    hub = await startHub({ log: memoryLog(), auth: { keys: KEYS } });
    // The page's calls without a token are refused on purpose (401): the console says so.
    ({ browser, page, problems } = await openChromium({ abortable: ['/v1/sse'] }));
  }, 30_000);

  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (hub as TestHub | undefined)?.app.close();
  });

  const navLinks = () => page.$$eval('nav a', (links) => links.map((a) => a.textContent));
  const useToken = async (key: string) => {
    await page.getByLabel('Token').fill(key);
    await page.getByRole('button', { name: 'Use token' }).click();
  };

  it('without a token, says to enter one and shows no admin view', async () => {
    await page.goto(`${hub.base}/`);
    await expect.poll(() => page.textContent('header')).toContain('Enter a token');
    expect(await page.textContent('[data-testid=who]')).toBe('no access');
    expect(await navLinks()).toEqual(['Overview', 'Live tail', 'Trace', 'Streams']);
  });

  it('a non-admin key sees no admin view, and the hub refuses one when forged', async () => {
    await useToken('reader-key-1234');
    await expect.poll(() => page.textContent('[data-testid=who]')).toBe('reader');
    expect(await navLinks()).toEqual(['Overview', 'Live tail', 'Trace', 'Streams']);
    // Typed into the address bar: the view is not shown, and the hub refuses its data anyway.
    await page.goto(`${hub.base}/#/groups`);
    await expect.poll(() => page.textContent('main')).toContain('needs an admin token');
    expect(await page.$$('button:text-matches("redrive|purge", "i")')).toEqual([]);
    const forged = await fetch(`${hub.base}/v1/groups`, {
      headers: { authorization: 'Bearer reader-key-1234' },
    });
    expect(forged.status).toBe(403);
    const redrive = await fetch(`${hub.base}/v1/groups/any/dead-letters/redrive`, {
      method: 'POST',
      headers: { authorization: 'Bearer reader-key-1234', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(redrive.status).toBe(403);
  });

  it('an admin key sees every view; each is reachable with the keyboard alone', async () => {
    await page.goto(`${hub.base}/`);
    await useToken('ops-key-1234567');
    await expect.poll(() => page.textContent('[data-testid=who]')).toBe('ops (admin)');
    expect(await navLinks()).toEqual(['Overview', 'Live tail', 'Trace', 'Streams', 'Groups', 'Dead letters']);
    for (const [view, title] of [
      ['tail', 'Live tail'],
      ['trace', 'Trace'],
      ['streams', 'Streams'],
      ['groups', 'Groups'],
      ['dead-letters', 'Dead letters'],
      ['overview', 'Overview'],
    ] as const) {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.mouse.click(1, 1);
      await tabTo(page, `nav a[href="#/${view}"]`);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.title()).toBe(`${title} · Herald dashboard`);
      expect(await page.getAttribute(`nav a[href="#/${view}"]`, 'aria-current')).toBe('page');
    }
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'shell-admin');
    // The only problems: the first page's calls without a token, refused with 401 (logged by Chromium).
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  }, 60_000);
});
