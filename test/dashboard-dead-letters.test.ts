/**
 * The Dead letters view in headless Chromium, on SQLite and PostgreSQL: a failing group's dead
 * letters grouped by normalised error with counts; one letter inspected; an error group redriven
 * from the keyboard (the events are pulled again over HTTP, the other error group stays dead); a
 * redriven letter that fails again shows its new error, not the old one; purge asks first (Cancel
 * purges nothing); a non-admin token sees no action and a forged redrive with it is 403. On SQLite,
 * 10,000 dead letters are redriven from the page with progress, and the time the page reports is
 * printed. Screenshots go to a temporary folder (printed).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventLog } from '../src/log/types.js';
import { axeViolations, describeInChromium, screenshot, tabTo } from './helpers/chromium.js';
import { forEachDashboardBackend, openDashboard, type OpenDashboard } from './helpers/dashboard-hub.js';
import type { TestHub } from './helpers/sse-hub.js';

const ADMIN_KEY = 'dead-letters-admin-key-1';
const READER_KEY = 'dead-letters-reader-key-1';
const GROUP = 'jobs';
const TIMEOUT = 'timeout after <n> ms on job <n>';
const INVALID = 'invalid payload: missing field customer';
const REFUSED = 'connection refused after <n> retries';

interface Delivery {
  receipt: string;
  deliveryCount: number;
  event: { position: number; type: string; data: { n: number } };
}

/** The parts of the hub's replies the test reads. */
interface Reply {
  deliveries?: Delivery[];
  deadLetters?: { event: { position: number }; error: string }[];
  events?: { position: number }[];
  error?: { code: string };
}

describeInChromium('the Dead letters view', () => {
  forEachDashboardBackend('the Dead letters view', (backend) => {
    let d: OpenDashboard | undefined;
    let log: EventLog;
    let hub: TestHub;
    let page: Page;
    let problems: string[];
    const name = backend.name;

    /** A call to the hub with a key: the status and the parsed reply. */
    const call = async (
      path: string,
      body?: unknown,
      key = ADMIN_KEY,
    ): Promise<{ status: number; body: Reply }> => {
      const res = await fetch(`${hub.base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Reply };
    };
    const pull = async (max = 100): Promise<Delivery[]> =>
      (await call(`/v1/groups/${GROUP}/pull`, { max, waitMs: 200 })).body.deliveries!;
    const nack = (receipts: string[], error: string) =>
      call(`/v1/groups/${GROUP}/nack`, { receipts, error, delayMs: 0 });
    const deadPositions = async () =>
      (await call(`/v1/groups/${GROUP}/dead-letters?limit=1000`)).body.deadLetters!.map(
        (d) => d.event.position,
      );
    /** The error groups the page shows: normalised error and count, in order. */
    const errorRows = () =>
      page.$$eval('[data-testid=error-row]', (rows) =>
        rows.map((r) => `${r.getAttribute('data-error')} × ${r.getAttribute('data-count')}`),
      );
    /** Nacks every pulled delivery with the error `errorOf` gives, until none is pulled. */
    const failAll = async (errorOf: (d: Delivery) => string) => {
      for (let round = 0; round < 20; round++) {
        const deliveries = await pull();
        if (deliveries.length === 0) return;
        for (const d of deliveries) await nack([d.receipt], errorOf(d));
      }
    };

    // Positions of the events: n 1..4 time out (two messages that differ by numbers), 5..6 are invalid.
    let positions: number[];

    beforeAll(async () => {
      d = await openDashboard(backend, {
        abortable: ['/v1/sse'],
        token: ADMIN_KEY,
        hub: {
          auth: {
            keys: [
              { name: 'ops', key: ADMIN_KEY, admin: true },
              { name: 'reader', key: READER_KEY, subscribe: ['job.>'], publish: ['job.>'] },
            ],
          },
        },
      });
      ({ log, hub, page, problems } = d);
      // The group exists before the events: it starts at the end.
      const created = await call(`/v1/groups/${GROUP}/pull`, {
        types: ['job.>'],
        maxDeliveries: 2,
        ackWaitMs: 60_000,
      });
      expect(created.status).toBe(200);
      const published = await call(
        '/v1/events',
        [1, 2, 3, 4, 5, 6].map((n) => ({ type: n <= 4 ? 'job.render' : 'job.import', data: { n } })),
      );
      positions = published.body.events!.map((e) => e.position);
      await failAll((d) =>
        d.event.data.n > 4
          ? 'invalid payload: missing field customer'
          : d.event.data.n % 2 === 0
            ? `timeout after ${1200 + d.event.data.n} ms on job ${d.event.data.n}`
            : `timeout after ${85 * d.event.data.n} ms on job ${40 + d.event.data.n}`,
      );
      expect(await deadPositions()).toEqual(positions);
    }, 60_000);

    afterAll(() => d?.close());

    it('lists the groups with dead letters, then groups a failing group by normalised error', async () => {
      await page.goto(`${hub.base}/#/dead-letters`);
      const link = page.getByRole('link', { name: GROUP, exact: true });
      await link.waitFor();
      expect(await page.textContent('[data-testid=dead-groups]')).toContain('6');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `dead-letters-groups-${name}`);
      await link.click();
      await expect.poll(errorRows).toEqual([`${TIMEOUT} × 4`, `${INVALID} × 2`]);
      expect(await page.textContent('[data-testid=summary]')).toContain('6 dead letters in 2 error groups');
      // The example is a raw error of the group.
      expect(await page.textContent('[data-testid=error-row] [data-testid=error-example]')).toMatch(
        /^timeout after \d+ ms on job \d+$/,
      );
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `dead-letters-errors-${name}`);
      expect(problems).toEqual([]);
    });

    it('shows the letters of an error group and inspects one, from the keyboard', async () => {
      await page.locator('[data-testid=reload]').focus();
      await tabTo(page, `[data-testid=toggle-letters][aria-label="Letters with ${TIMEOUT}"]`);
      await page.keyboard.press('Enter');
      await expect
        .poll(() =>
          page.$$eval('[data-testid=letter-row]', (rows) => rows.map((r) => Number(r.dataset.position))),
        )
        .toEqual(positions.slice(0, 4));
      // Inspect the first timed-out letter: the one that will fail again with a new error.
      await tabTo(page, `[data-testid=inspect][aria-label="Inspect position ${positions[0]}"]`);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.textContent('[data-testid=detail-error]')).toMatch(/^timeout after/);
      expect(await page.textContent('[data-testid=detail-deliveries]')).toBe('2');
      const json = JSON.parse(
        (await page.textContent('[data-testid=letter-detail] [data-testid=json]')) ?? '{}',
      );
      expect(json).toMatchObject({ type: 'job.render', position: positions[0], data: { n: 1 } });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `dead-letters-letter-${name}`);
      expect(problems).toEqual([]);
    });

    it('redrives one error group from the keyboard; a letter that fails again shows its new error', async () => {
      await page.locator('[data-testid=reload]').focus();
      await tabTo(page, `[data-testid=redrive-group][aria-label$="with ${TIMEOUT}"]`);
      await page.keyboard.press('Enter');
      const dialog = page.locator('[data-testid=confirm-dialog]');
      await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
      expect(await page.textContent('#dl-ask-title')).toBe('Redrive 4 dead letters?');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `dead-letters-confirm-${name}`);
      // Focus starts on Cancel; one Tab reaches the confirmation.
      await dialogFocused(page);
      await tabTo(page, '[data-testid=confirm]', 3);
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.textContent('[data-testid=progress-text]'))
        .toMatch(/^4 of 4 redriven in /);
      await expect.poll(errorRows).toEqual([`${INVALID} × 2`]);
      expect(await deadPositions()).toEqual(positions.slice(4));

      // Over HTTP: the four timed-out events are delivered again; the invalid ones stay dead.
      const again = await pull();
      expect(again.map((d) => d.event.position).sort((a, b) => a - b)).toEqual(positions.slice(0, 4));
      const first = again.find((d) => d.event.position === positions[0])!;
      const rest = again.filter((d) => d !== first).map((d) => d.receipt);
      expect((await call(`/v1/groups/${GROUP}/ack`, { receipts: rest })).status).toBe(200);
      // The first fails again, with a new error, until it is dead again.
      await nack([first.receipt], 'connection refused after 3 retries');
      await failAll(() => 'connection refused after 5 retries');
      expect(await deadPositions()).toEqual([positions[0], ...positions.slice(4)]);

      // The page reads everything again (every 5 s, or Reload): the new error, never the old one.
      await page.locator('[data-testid=reload]').click();
      await expect.poll(errorRows).toEqual([`${INVALID} × 2`, `${REFUSED} × 1`]);
      await expect
        .poll(() => page.textContent('[data-testid=detail-error]'))
        .toBe('connection refused after 5 retries');
      expect(await page.textContent('[data-testid=letter-detail]')).not.toContain('timeout');
      await screenshot(page, `dead-letters-new-error-${name}`);
      expect(problems).toEqual([]);
    }, 30_000);

    it('purges only after confirmation: Cancel purges nothing', async () => {
      await page.locator('[data-testid=redrive-all]').focus();
      await tabTo(page, '[data-testid=purge-all]', 1);
      await page.keyboard.press('Enter');
      const dialog = page.locator('[data-testid=confirm-dialog]');
      await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('cancel');
      await page.keyboard.press('Enter');
      await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
      expect(await deadPositions()).toEqual([positions[0], ...positions.slice(4)]);

      // Escape cancels too.
      await page.keyboard.press('Enter');
      await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
      expect(await deadPositions()).toHaveLength(3);

      await page.keyboard.press('Enter');
      await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
      await dialogFocused(page);
      await tabTo(page, '[data-testid=confirm]', 3);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.textContent('[data-testid=progress-text]')).toMatch(/^3 of 3 purged in /);
      expect(await deadPositions()).toEqual([]);
      await expect.poll(() => page.isVisible('[data-testid=no-errors]')).toBe(true);
      await expect
        .poll(() => page.textContent('[data-testid=letter-gone]'))
        .toContain('no longer a dead letter');
      expect(problems).toEqual([]);
    });

    it('pages the letters, redrives or purges one letter or an error group, keyboard only', async () => {
      const many = 'many';
      const group = await log.group(many, { types: ['many.>'], maxDeliveries: 1, startAt: 'end' });
      const appended = await log.append(
        Array.from({ length: 26 }, (_, n) => ({ type: 'many.job', data: { n } })),
      );
      const ps = appended.map((a) => a.position);
      for (;;) {
        const deliveries = await group.pull({ max: 100 });
        if (deliveries.length === 0) break;
        await Promise.all(
          deliveries.map((d) =>
            d.nack({ error: d.event.position === ps[25] ? 'bad input' : `step ${d.event.position} failed` }),
          ),
        );
      }
      const dead = async () => (await group.deadLetters()).map((d) => d.event.position);
      expect(await dead()).toEqual(ps);
      const shown = () =>
        page.$$eval('[data-testid=letter-row]', (rows) => rows.map((r) => Number(r.dataset.position)));
      /** Tabs from the toolbar's Reload to `selector`, then presses Enter. */
      const press = async (selector: string) => {
        await page.locator('[data-testid=reload]').focus();
        await tabTo(page, selector, 100);
        await page.keyboard.press('Enter');
      };
      const confirm = async (title: string) => {
        await expect
          .poll(() => page.locator('[data-testid=confirm-dialog]').evaluate((d: HTMLDialogElement) => d.open))
          .toBe(true);
        expect(await page.textContent('#dl-ask-title')).toBe(title);
        await dialogFocused(page);
        await tabTo(page, '[data-testid=confirm]', 3);
        await page.keyboard.press('Enter');
      };

      await page.goto(`${hub.base}/#/dead-letters/${many}`);
      await expect.poll(errorRows).toEqual(['step <n> failed × 25', 'bad input × 1']);
      await press('[data-testid=toggle-letters][aria-label="Letters with step <n> failed"]');
      await expect.poll(shown).toEqual(ps.slice(0, 20));
      await press('[data-testid=next-letters]');
      await expect.poll(shown).toEqual(ps.slice(20, 25));
      await press('[data-testid=previous-letters]');
      await expect.poll(shown).toEqual(ps.slice(0, 20));

      // One letter redriven: it leaves the list and the hub's dead letters.
      await press(`[data-testid=redrive-one][aria-label="Redrive position ${ps[0]}"]`);
      await expect
        .poll(() => page.textContent('[data-testid=message]'))
        .toBe(`Position ${ps[0]} redriven: it is delivered again.`);
      await expect.poll(shown).toEqual(ps.slice(1, 21));
      expect(await dead()).toEqual(ps.slice(1));

      // One letter purged, after confirmation.
      await press(`[data-testid=purge-one][aria-label="Purge position ${ps[1]}"]`);
      await confirm(`Purge position ${ps[1]}?`);
      await expect.poll(dead).toEqual(ps.slice(2));
      await expect.poll(shown).toEqual(ps.slice(2, 22));

      // One letter inspected and redriven from its detail, then closed.
      await press(`[data-testid=inspect][aria-label="Inspect position ${ps[2]}"]`);
      await expect.poll(() => page.textContent('[data-testid=detail-error]')).toBe(`step ${ps[2]} failed`);
      await tabTo(page, '[data-testid=detail-redrive]', 3);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.isVisible('[data-testid=letter-gone]')).toBe(true);
      expect(await dead()).toEqual(ps.slice(3));
      await press('[data-testid=detail-close]');
      expect(await page.locator('[data-testid=letter-detail]').count()).toBe(0);

      // An error group purged, after confirmation; the other stays.
      await press('[data-testid=purge-group][aria-label$="with bad input"]');
      await confirm('Purge 1 dead letter?');
      await expect.poll(errorRows).toEqual(['step <n> failed × 22']);
      expect(await dead()).toEqual(ps.slice(3, 25));
      expect(await axeViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    }, 30_000);

    it('shows a non-admin token no dead-letter action, and the hub refuses its forged redrive', async () => {
      // Dead letters to act on: a new failure.
      await call('/v1/events', [{ type: 'job.render', data: { n: 7 } }]);
      await failAll(() => 'timeout after 9 ms on job 7');
      expect(await deadPositions()).toHaveLength(1);

      // Away from the view first, so no admin request of it goes out with the new token.
      await page.goto(`${hub.base}/#/tail`);
      await page.getByLabel('Token').fill(READER_KEY);
      await page.getByLabel('Token').press('Enter');
      await expect.poll(() => page.textContent('[data-testid=who]')).toBe('reader');
      await page.goto(`${hub.base}/#/dead-letters/${GROUP}`);
      await expect.poll(() => page.textContent('main')).toContain('needs an admin token');
      expect(await page.getByRole('link', { name: 'Dead letters' }).count()).toBe(0);
      const actions =
        '[data-testid^=redrive], [data-testid^=purge], [data-testid=confirm-dialog], [data-testid=error-row]';
      expect(await page.locator(actions).count()).toBe(0);
      await screenshot(page, `dead-letters-non-admin-${name}`);

      const forged = await call(`/v1/groups/${GROUP}/dead-letters/redrive`, {}, READER_KEY);
      expect(forged.status).toBe(403);
      expect(forged.body.error?.code).toBe('FORBIDDEN');
      expect(await deadPositions()).toHaveLength(1);
      expect(problems).toEqual([]);

      // Back to the admin token for what follows.
      await page.getByLabel('Token').fill(ADMIN_KEY);
      await page.getByLabel('Token').press('Enter');
      await expect.poll(() => page.textContent('[data-testid=who]')).toBe('ops (admin)');
    });

    it.skipIf(name !== 'sqlite')(
      'redrives 10,000 dead letters from the page, with progress',
      async () => {
        const bulk = 'bulk';
        const group = await log.group(bulk, { types: ['bulk.>'], maxDeliveries: 1, startAt: 'end' });
        for (let i = 0; i < 10; i++) {
          await log.append(
            Array.from({ length: 1000 }, (_, j) => ({ type: 'bulk.job', data: { n: i * 1000 + j } })),
          );
        }
        for (;;) {
          const deliveries = await group.pull({ max: 1000 });
          if (deliveries.length === 0) break;
          await Promise.all(deliveries.map((d) => d.nack({ error: `failed at step ${d.event.position}` })));
        }
        expect((await group.info()).deadLetters).toBe(10_000);

        await page.goto(`${hub.base}/#/dead-letters/${bulk}`);
        await expect.poll(() => page.textContent('[data-testid=summary]')).toContain('10,000 dead letters');
        await page.locator('[data-testid=redrive-all]').focus();
        await page.keyboard.press('Enter');
        await dialogFocused(page);
        await tabTo(page, '[data-testid=confirm]', 3);
        await page.keyboard.press('Enter');
        // Catch it mid-way if it is still running.
        const midway = await page
          .waitForSelector('[data-testid=job][data-state=running] [data-done]:not([data-done="0"])', {
            timeout: 5_000,
          })
          .then(
            () => true,
            () => false,
          );
        if (midway) await screenshot(page, `dead-letters-progress-${name}`);
        await expect
          .poll(() => page.getAttribute('[data-testid=progress-text]', 'data-done'), { timeout: 60_000 })
          .toBe('10000');
        await expect.poll(() => page.getAttribute('[data-testid=job]', 'data-state')).toBe('done');
        const text = await page.textContent('[data-testid=progress-text]');
        const ms = await page.getAttribute('[data-testid=progress-text]', 'data-elapsed-ms');
        console.log(`10,000 dead letters redriven from the page (${name}): "${text?.trim()}" (${ms} ms)`);
        expect(text).toMatch(/^10,000 of 10,000 redriven in /);
        await expect.poll(() => page.isVisible('[data-testid=no-errors]')).toBe(true);
        expect((await group.info()).deadLetters).toBe(0);
        if (!midway) await screenshot(page, `dead-letters-progress-${name}`);

        // Cancel between chunks: the second chunk of a purge is held until Cancel has been pressed.
        for (;;) {
          const deliveries = await group.pull({ max: 1000 });
          if (deliveries.length === 0) break;
          await Promise.all(deliveries.map((d) => d.nack({ error: `failed at step ${d.event.position}` })));
        }
        expect((await group.info()).deadLetters).toBe(10_000);
        let held = () => undefined as void;
        const heldSecond = new Promise<void>((resolve) => (held = resolve));
        let release = () => undefined as void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let purges = 0;
        await page.route('**/dead-letters/purge', async (route) => {
          if (++purges === 2) {
            held();
            await released;
          }
          await route.continue();
        });
        await page.locator('[data-testid=reload]').click();
        await expect.poll(() => page.textContent('[data-testid=summary]')).toContain('10,000 dead letters');
        await page.locator('[data-testid=purge-all]').focus();
        await page.keyboard.press('Enter');
        await dialogFocused(page);
        await tabTo(page, '[data-testid=confirm]', 3);
        await page.keyboard.press('Enter');
        await heldSecond;
        await page.locator('[data-testid=reload]').focus();
        await tabTo(page, '[data-testid=cancel-job]', 5);
        await page.keyboard.press('Enter');
        release();
        await expect.poll(() => page.getAttribute('[data-testid=job]', 'data-state')).toBe('cancelled');
        expect(await page.getAttribute('[data-testid=progress-text]', 'data-done')).toBe('2000');
        expect(await page.textContent('[data-testid=progress-text]')).toMatch(
          /^2,000 of 10,000 purged; cancelled after /,
        );
        expect((await group.info()).deadLetters).toBe(8000);
        await page.unroute('**/dead-letters/purge');
        await expect.poll(() => page.textContent('[data-testid=summary]')).toContain('8,000 dead letters');
        await screenshot(page, `dead-letters-cancelled-${name}`);
        expect(await axeViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      },
      120_000,
    );
  });
});

/**
 * Waits until the confirmation dialog is open and holds the focus (it opens after the page has
 * counted what it will act on): tabbing before that would leave the dialog behind.
 */
async function dialogFocused(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.closest('dialog[open]') != null), {
      timeout: 10_000,
    })
    .toBe(true);
}
