/**
 * The dashboard's Groups view in headless Chromium, against a hub on SQLite and on PostgreSQL:
 * the list shows a group created by pulling over HTTP with the right lag (and follows new events
 * within its one-second refresh), one group shows its figures and options, and its pending
 * deliveries show delivery counts and the error of a nack, page by page from the keyboard. On a
 * hub with auth, a non-admin key sees no admin view in the navigation and the hub refuses it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations, describeInChromium, screenshot, tabTo } from './helpers/chromium.js';
import { forEachDashboardBackend, openDashboard, type OpenDashboard } from './helpers/dashboard-hub.js';
import { publish, type TestHub } from './helpers/sse-hub.js';

interface Delivery {
  receipt: string;
  deliveryCount: number;
  event: { id: string; position: number; type: string };
}

/** How long to wait for what the page shows: its polls run every 1 to 2 s. */
const WAIT = { timeout: 5_000 };

const post = async (base: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};
const pull = async (base: string, group: string, body: Record<string, unknown>) =>
  ((await post(base, `/v1/groups/${group}/pull`, body)) as { deliveries: Delivery[] }).deliveries;

/** An admin key and a key limited to order events. */
const AUTH_KEYS = [
  { name: 'ops', key: 'ops-key-123456', admin: true },
  { name: 'shop', key: 'shop-key-12345', publish: ['order.*'], subscribe: ['order.>'] },
];

describeInChromium('the dashboard groups view', () => {
  forEachDashboardBackend('the groups view', (backend) => {
    let d: OpenDashboard | undefined;
    let hub: TestHub;
    let page: Page;
    let problems: string[];
    let first: Delivery;
    let second: Delivery;

    beforeAll(async () => {
      d = await openDashboard(backend);
      ({ hub, page, problems } = d);
      await publish(
        hub.base,
        Array.from({ length: 5 }, (_, i) => ({ type: 'order.created', data: { n: i } })),
      );
    }, 60_000);

    afterAll(() => d?.close());

    const listCell = (group: string, field: string) =>
      page.textContent(`[data-testid=groups-table] tr[data-group="${group}"] [data-field=${field}]`);
    const pendingRows = () =>
      page.$$eval('[data-testid=pending-table] tbody tr', (trs) =>
        trs.map((tr) => ({
          position: Number(tr.getAttribute('data-position')),
          deliveries: tr.querySelector('[data-field=deliveries]')?.textContent.trim(),
          error: tr.querySelector('[data-field=error]')?.textContent.trim(),
          trace: tr.querySelector('a')?.getAttribute('href'),
        })),
      );

    it('lists a group created by pulling over HTTP, with its lag, fresh within its refresh', async () => {
      // Two deliveries of five, not acked; the first nacked with an error and pulled again.
      [first, second] = (await pull(hub.base, 'mailer', {
        types: ['order.>'],
        startAt: 'start',
        max: 2,
      })) as [Delivery, Delivery];
      await post(hub.base, '/v1/groups/mailer/nack', {
        receipts: [first.receipt],
        error: 'card 4242 declined at the gateway',
        delayMs: 0,
      });
      const again = await pull(hub.base, 'mailer', { max: 1 });
      expect(again.map((d) => [d.event.position, d.deliveryCount])).toEqual([[first.event.position, 2]]);

      await page.goto(`${hub.base}/#/groups`);
      expect(await page.title()).toBe('Groups · Herald dashboard');
      await expect.poll(() => listCell('mailer', 'lag'), WAIT).toBe('3');
      expect(await listCell('mailer', 'pending')).toBe('2');
      expect(await listCell('mailer', 'dead-letters')).toBe('0');

      // New events show as lag without reloading the page.
      await publish(hub.base, [
        { type: 'order.created', data: { n: 5 } },
        { type: 'order.created', data: { n: 6 } },
      ]);
      await expect.poll(() => listCell('mailer', 'lag'), WAIT).toBe('5');

      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `groups-${backend.name}`);
      expect(problems).toEqual([]);
    });

    it('shows one group, its options and its pending deliveries with the nack error', async () => {
      await page.locator('body').focus();
      await tabTo(page, '[data-testid=groups-table] a[href="#/groups/mailer"]');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.textContent('#groups-title'), WAIT).toBe('Group mailer');
      await expect
        .poll(() => page.textContent('[data-testid=group-figures] [data-field=lag]'), WAIT)
        .toBe('5');
      expect(await page.textContent('[data-testid=group-figures] [data-field=pending]')).toBe('2');
      const options = await page.textContent('[data-testid=group-options]');
      expect(options).toContain('order.>');
      expect(options).toContain('30,000 ms');
      expect(options).toMatch(/Max deliveries\s*5/);
      expect(await page.getAttribute('[data-testid=dead-letters-link]', 'href')).toBe(
        '#/dead-letters/mailer',
      );
      // The test pulled without auth: one member, anonymous, holding the two pending deliveries.
      await expect
        .poll(
          () => page.$$eval('[data-testid=members] tbody tr', (rows) => rows.map((r) => r.textContent)),
          WAIT,
        )
        .toHaveLength(1);
      expect(await page.textContent('[data-testid=members] tbody td code')).toBe('anonymous');
      expect(await page.textContent('[data-testid=members] [data-field=held]')).toBe('2');

      await expect.poll(pendingRows, WAIT).toEqual([
        {
          position: first.event.position,
          deliveries: '2',
          error: 'card 4242 declined at the gateway',
          trace: `#/trace/${first.event.id}`,
        },
        {
          position: second.event.position,
          deliveries: '1',
          error: 'none',
          trace: `#/trace/${second.event.id}`,
        },
      ]);
      // Due again when the 30 s ack wait ends.
      expect(await page.textContent('[data-testid=pending-table] tbody tr time')).toMatch(/^in \d+ s$/);
      expect(await page.getByTestId('pending-next').isDisabled()).toBe(true);

      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `group-${backend.name}`);
      expect(problems).toEqual([]);
    });

    it('pages through pending deliveries from the keyboard', async () => {
      await publish(
        hub.base,
        Array.from({ length: 150 }, (_, i) => ({ type: 'bulk.item', data: { n: i } })),
      );
      const taken = await pull(hub.base, 'bulk', { types: ['bulk.>'], startAt: 'start', max: 150 });
      expect(taken).toHaveLength(150);
      const positions = taken.map((d) => d.event.position).sort((a, b) => a - b);

      await page.goto(`${hub.base}/#/groups/bulk`);
      await expect
        .poll(() => page.textContent('[data-testid=pending-status]'), WAIT)
        .toBe(`Page 1: 100 pending, positions ${positions[0]} to ${positions[99]}.`);
      await page.focus('#token');
      await tabTo(page, '[data-testid=pending-next]');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.textContent('[data-testid=pending-status]'), WAIT)
        .toBe(`Page 2: 50 pending, positions ${positions[100]} to ${positions[149]}.`);
      expect((await pendingRows()).map((r) => r.position)).toEqual(positions.slice(100));
      expect(await page.getByTestId('pending-next').isDisabled()).toBe(true);

      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `group-pending-page-2-${backend.name}`);

      // Next page is disabled now (no more), so its focus is gone: start again from the top.
      await page.focus('#token');
      await tabTo(page, '[data-testid=pending-previous]');
      await page.keyboard.press('Space');
      await expect
        .poll(() => page.textContent('[data-testid=pending-status]'), WAIT)
        .toContain('Page 1: 100 pending');
      expect(problems).toEqual([]);
    }, 30_000);

    it('says so when the hub has no such group', async () => {
      problems.length = 0;
      await page.goto(`${hub.base}/#/groups/nobody`);
      await expect
        .poll(() => page.textContent('[data-testid=group-missing]'), WAIT)
        .toContain('The hub has no group named nobody');
      expect(await page.$('[data-testid=pending-table]')).toBeNull();
      // The 404 itself is logged by the browser; nothing else is.
      expect(problems.filter((p) => !/status of 404/.test(p))).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
    });
  });

  forEachDashboardBackend('the groups view on a hub with auth', (backend) => {
    let d: OpenDashboard | undefined;
    let hub: TestHub;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      d = await openDashboard(backend, { hub: { auth: { keys: AUTH_KEYS } } });
      ({ hub, page, problems } = d);
    }, 60_000);

    afterAll(() => d?.close());

    const navLinks = () =>
      page.$$eval('nav[aria-label=Views] a', (as) => as.map((a) => a.textContent.trim()));

    it('hides the admin views from a non-admin key, and the hub refuses them to it', async () => {
      await page.goto(`${hub.base}/`);
      await page.getByLabel('Token').fill('shop-key-12345');
      await page.getByRole('button', { name: 'Use token' }).click();
      await expect.poll(() => page.textContent('[data-testid=who]'), WAIT).toBe('shop');
      expect(await navLinks()).toEqual(['Overview', 'Live tail', 'Trace', 'Streams']);

      // Typed into the address bar anyway: the page says so, and the hub refuses the route.
      await page.evaluate(() => (location.hash = '#/groups'));
      await expect.poll(() => page.textContent('main [role=alert]'), WAIT).toContain('needs an admin token');
      const forged = await fetch(`${hub.base}/v1/groups`, {
        headers: { authorization: 'Bearer shop-key-12345' },
      });
      expect(forged.status).toBe(403);
      expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      expect(await axeViolations(page)).toEqual([]);

      // An admin key sees both, and the list.
      await page.getByLabel('Token').fill('ops-key-123456');
      await page.getByRole('button', { name: 'Use token' }).click();
      await expect
        .poll(navLinks, WAIT)
        .toEqual(['Overview', 'Live tail', 'Trace', 'Streams', 'Groups', 'Dead letters']);
      await expect
        .poll(() => page.textContent('[data-testid=groups-none]'), WAIT)
        .toContain('No consumer groups yet');
      // The first load, before a token, was refused (401) by design; nothing else went wrong.
      expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    });
  });
});
