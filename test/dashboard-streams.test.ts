/**
 * The dashboard's Streams view in headless Chromium, on SQLite and PostgreSQL, on a hub with auth:
 * a stream of 120 events paged by version (50 a page) forward, back, to the first page and to a
 * typed version, from the keyboard, with nothing skipped or repeated; a selected event's CloudEvent
 * and its Trace link; a stream with no events; a stream the token's grants leave out (403).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations, describeInChromium, screenshot, tabTo } from './helpers/chromium.js';
import { forEachDashboardBackend, openDashboard, type OpenDashboard } from './helpers/dashboard-hub.js';
import type { TestHub } from './helpers/sse-hub.js';

const ADMIN_KEY = 'ops-key-123456';
const SHOP_KEY = 'shop-key-12345';
const READER_KEY = 'reader-key-1234';
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeInChromium('the dashboard Streams view', () => {
  forEachDashboardBackend('the streams view', (backend) => {
    let d: OpenDashboard | undefined;
    let hub: TestHub;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      d = await openDashboard(backend, {
        abortable: ['/v1/streams', '/v1/events'],
        token: ADMIN_KEY,
        hub: {
          auth: {
            keys: [
              { name: 'ops', key: ADMIN_KEY, admin: true },
              { name: 'shop', key: SHOP_KEY, publish: ['>'], subscribe: ['>'], streams: ['order-*'] },
              // Reads only order.updated: every third version (order.paid) is left out of its pages.
              { name: 'reader', key: READER_KEY, subscribe: ['order.updated'], streams: ['order-*'] },
            ],
          },
        },
      });
      ({ hub, page, problems } = d);
      const res = await fetch(`${hub.base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({
          stream: 'order-1',
          events: range(1, 120).map((n) => ({
            type: n % 3 === 0 ? 'order.paid' : 'order.updated',
            data: { n },
          })),
        }),
      });
      expect(res.status).toBe(201);
    }, 60_000);

    afterAll(() => d?.close());

    const versions = () =>
      page.$$eval('[data-testid=stream-events] tbody tr', (rows) =>
        rows.map((tr) => Number(tr.getAttribute('data-version'))),
      );
    /** Waits for a page that starts at `first`, and returns its versions. */
    const pageFrom = async (first: number) => {
      await expect.poll(async () => (await versions())[0]).toBe(first);
      return versions();
    };
    /** Focus back at the top of the view (the lookup field), so Tab walks the view from there. */
    const blur = () => page.focus('#stream-name');

    it('pages through 120 events by version from the keyboard, nothing skipped or repeated', async () => {
      await page.goto(`${hub.base}/#/streams/order-1`);
      const seen = await pageFrom(1);
      expect(seen).toEqual(range(1, 50));
      expect(await page.textContent('[data-testid=stream-summary]')).toContain(
        'order-1: versions 1 to 50 of 120.',
      );
      expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);

      // Next, reached with Tab and pressed with Enter, twice: to the end.
      await blur();
      await tabTo(page, '[data-testid=next]');
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await versions())[0]).toBe(51);
      seen.push(...(await versions()));
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await versions())[0]).toBe(101);
      seen.push(...(await versions()));
      expect(seen).toEqual(range(1, 120));
      expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);

      // Back a page, to the first page, and to a typed version.
      await blur();
      await tabTo(page, '[data-testid=previous]');
      await page.keyboard.press('Enter');
      expect(await pageFrom(51)).toEqual(range(51, 100));
      await blur();
      await tabTo(page, '[data-testid=first]');
      await page.keyboard.press('Space');
      expect(await pageFrom(1)).toEqual(range(1, 50));
      await blur();
      await tabTo(page, '#stream-version');
      await page.keyboard.type('60');
      await page.keyboard.press('Enter');
      expect(await pageFrom(60)).toEqual(range(60, 109));
      expect(await page.textContent('[data-testid=stream-summary]')).toContain(
        'order-1: versions 60 to 109 of 120.',
      );

      // A version's button shows its CloudEvent and a link to its trace.
      await blur();
      await tabTo(page, '[aria-label="Version 61: show its CloudEvent"]', 80);
      await page.keyboard.press('Enter');
      const json = JSON.parse(
        (await page.textContent('[data-testid=stream-detail] [data-testid=json]')) ?? '{}',
      ) as {
        id: string;
      };
      expect(json).toMatchObject({ stream: 'order-1', version: 61, data: { n: 61 } });
      expect(await page.getAttribute('[data-testid=stream-detail] a', 'href')).toBe(`#/trace/${json.id}`);
      expect(await page.getAttribute('[aria-label="Version 61: show its CloudEvent"]', 'aria-pressed')).toBe(
        'true',
      );

      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `streams-${backend.name}`);
      expect(problems).toEqual([]);
    }, 60_000);

    it('says plainly that a stream with no events has none', async () => {
      await page.goto(`${hub.base}/#/streams`);
      await tabTo(page, '#stream-name');
      await page.keyboard.type('order-none');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/streams/order-none');
      await expect
        .poll(() => page.textContent('[data-testid=stream-empty]'))
        .toBe('No events: the stream order-none has none.');
      expect(await page.locator('[data-testid=stream-events]').count()).toBe(0);
      // No pager: there is nothing to page through.
      expect(await page.getByRole('button', { name: 'Next' }).count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `streams-empty-${backend.name}`);
      expect(problems).toEqual([]);
    });

    it("says so when the token's stream grants leave the stream out (403)", async () => {
      await page.goto(`${hub.base}/#/tail`);
      await page.getByLabel('Token').fill(SHOP_KEY);
      await page.getByLabel('Token').press('Enter');
      await expect.poll(() => page.textContent('[data-testid=who]')).toBe('shop');
      // Its grants include order-*: it reads order-1.
      await page.goto(`${hub.base}/#/streams/order-1`);
      expect(await pageFrom(1)).toEqual(range(1, 50));
      await page.goto(`${hub.base}/#/streams/secret-1`);
      await expect
        .poll(() => page.textContent('[data-testid=stream-forbidden]'))
        .toContain('This token may not read the stream secret-1');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `streams-forbidden-${backend.name}`);
      // Chromium logs the 403 reply as a console error (with no URL); it is the only problem.
      expect(problems).toEqual([
        'console error: Failed to load resource: the server responded with a status of 403 (Forbidden)',
      ]);
      problems.splice(0);
    });

    it('pages by version for a token that may read only some types, and says versions are left out', async () => {
      await page.goto(`${hub.base}/#/tail`);
      await page.getByLabel('Token').fill(READER_KEY);
      await page.getByLabel('Token').press('Enter');
      await expect.poll(() => page.textContent('[data-testid=who]')).toBe('reader');
      await page.goto(`${hub.base}/#/streams/order-1`);
      const seen = await pageFrom(1);
      while (!(await page.getByRole('button', { name: 'Next' }).isDisabled())) {
        const last = seen[seen.length - 1]!;
        await page.getByRole('button', { name: 'Next' }).click();
        // The next page, or an empty one: the hub's `next` names the version after the last one
        // returned, and the versions after it may all be of types the token may not read.
        await expect
          .poll(async () => {
            const v = await versions();
            if (v.length > 0) return v[0]! > last;
            return (await page.textContent('[data-testid=stream-summary]'))?.includes('No events') === true;
          })
          .toBe(true);
        seen.push(...(await versions()));
      }
      // Every order.updated version once, in order: 80 of 120; the last page (120, order.paid) is empty.
      expect(seen).toEqual(range(1, 120).filter((v) => v % 3 !== 0));
      expect(await page.textContent('[data-testid=stream-summary]')).toContain(
        'No events this token may read from version 120; order-1 is at version 120.',
      );
      await page.getByRole('button', { name: 'Previous' }).click();
      await expect.poll(async () => (await versions())[0]).toBe(70);
      expect(await page.textContent('[data-testid=stream-summary]')).toContain(
        'Some versions are left out: this token may not read their types.',
      );
      expect(problems).toEqual([]);
    });
  });
});
