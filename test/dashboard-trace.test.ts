/**
 * The dashboard's Trace view in headless Chromium, on SQLite and PostgreSQL: three events linked
 * by `causationid` in one correlation render as a tree of three levels with the time from each
 * cause and from the root, an unrelated event stays out, the Live tail's Trace link opens it, the
 * tree is driven by the arrow keys, a correlation id works as well as an event id, a root without
 * a correlation id is found by Herald's convention, and causes outside the correlation are named.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations, describeInChromium, screenshot, tabTo } from './helpers/chromium.js';
import { forEachDashboardBackend, openDashboard, type OpenDashboard } from './helpers/dashboard-hub.js';
import { publish, type TestHub } from './helpers/sse-hub.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describeInChromium('the dashboard Trace view', () => {
  forEachDashboardBackend('the trace view', (backend) => {
    let d: OpenDashboard | undefined;
    let hub: TestHub;
    let page: Page;
    let problems: string[];
    const flow = `flow-${randomUUID()}`;
    const id = { root: randomUUID(), child: randomUUID(), grandchild: randomUUID(), unrelated: randomUUID() };
    let positions: number[] = [];

    beforeAll(async () => {
      // The tail and the trace abort their requests on purpose when the view changes.
      d = await openDashboard(backend, { abortable: ['/v1/sse', '/v1/events', '/v1/streams'] });
      ({ hub, page, problems } = d);
    }, 30_000);

    afterAll(() => d?.close());

    /** The tree as rendered: each visible treeitem's id, level, parent and deltas. */
    const tree = () =>
      page.$$eval('[data-testid=trace-tree] [role=treeitem]', (items) =>
        items.map((li) => ({
          id: li.getAttribute('data-id'),
          level: Number(li.getAttribute('aria-level')),
          parent: li.getAttribute('data-parent'),
          sinceParent: li.querySelector('[data-testid=since-parent]')?.textContent,
          sinceRoot: li.querySelector('[data-testid=since-root]')?.textContent,
        })),
      );
    /** The row the focused tree points at (`aria-activedescendant`). */
    const focused = () =>
      page.evaluate(() => {
        const active = document.activeElement?.getAttribute('aria-activedescendant');
        return active ? (document.getElementById(active)?.getAttribute('data-id') ?? null) : null;
      });
    /** Presses a key in the tree and waits until the focus is on the row with this id. */
    const press = async (key: string, to: string) => {
      await page.keyboard.press(key);
      await expect.poll(focused).toBe(to);
      expect(await page.getAttribute(`[data-id="${to}"]`, 'aria-selected')).toBe('true');
    };
    /**
     * Chromium logs every 404 reply as a console error, with no URL in the text. A lookup that
     * finds nothing (an id that is no event, a cause that is gone) is one: the page says so, and
     * the test expects exactly that many, then forgets them.
     */
    const expectNotFound = (n: number) => {
      expect(problems).toEqual(
        Array.from(
          { length: n },
          () =>
            'console error: Failed to load resource: the server responded with a status of 404 (Not Found)',
        ),
      );
      problems.splice(0);
    };
    const threeLevels = () => [
      { id: id.root, level: 1, parent: '', sinceParent: 'root', sinceRoot: '' },
      { id: id.child, level: 2, parent: id.root, sinceParent: '+1.5 s', sinceRoot: '+1.5 s' },
      { id: id.grandchild, level: 3, parent: id.child, sinceParent: '+300 ms', sinceRoot: '+1.8 s' },
    ];

    it("opens from the Live tail's Trace link as a tree of three levels, the unrelated event left out", async () => {
      await page.goto(`${hub.base}/#/tail`);
      await page.getByLabel('Pattern').press('Enter');
      await expect.poll(() => page.textContent('[data-testid=status]')).toContain('Live from the head');
      positions = await publish(hub.base, [
        { id: id.root, type: 'order.placed', source: '/shop', time: at(0), correlationid: flow },
        {
          id: id.unrelated,
          type: 'order.placed',
          source: '/shop',
          time: at(100),
          correlationid: 'other-flow',
        },
      ]);
      // The child goes to a stream: its row links to it.
      const res = await fetch(`${hub.base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          stream: 'payment-1',
          events: [
            {
              id: id.child,
              type: 'payment.requested',
              source: '/billing',
              time: at(1500),
              correlationid: flow,
              causationid: id.root,
            },
          ],
        }),
      });
      expect(res.status).toBe(201);
      positions.push(((await res.json()) as { events: { position: number }[] }).events[0]!.position);
      positions.push(
        ...(await publish(hub.base, [
          {
            id: id.grandchild,
            type: 'payment.captured',
            source: '/psp',
            time: at(1800),
            correlationid: flow,
            causationid: id.child,
          },
        ])),
      );
      await expect
        .poll(() => page.locator('[data-testid=rows] [role=option]').count(), { timeout: 5_000 })
        .toBe(4);
      await page.click(`[role=option][data-position="${positions[3]}"]`);
      await page
        .locator('[data-testid=event-detail]')
        .getByRole('link', { name: 'Trace', exact: true })
        .click();
      await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/trace/${id.grandchild}`);
      await expect.poll(tree).toEqual(threeLevels());
      expect(await page.textContent('[data-testid=trace-summary]')).toContain(
        `Correlation ${flow}: 3 events, 1 root`,
      );
      // The event the trace was opened from is highlighted and selected, its CloudEvent below.
      const origin = page.locator(`[role=treeitem][data-id="${id.grandchild}"]`);
      expect(await origin.getAttribute('class')).toContain('origin');
      expect(await origin.getAttribute('aria-selected')).toBe('true');
      const json = JSON.parse(
        (await page.textContent('[data-testid=trace-detail] [data-testid=json]')) ?? '{}',
      );
      expect(json).toMatchObject({ id: id.grandchild, causationid: id.child, position: positions[3] });
      expect(await page.textContent('[data-testid=trace-tree]')).not.toContain('other-flow');
      // Each node's stream links to the Streams view.
      expect(await page.getAttribute(`[data-id="${id.child}"] .stream a`, 'href')).toBe(
        '#/streams/payment-1',
      );
      expect(problems).toEqual([]);
    }, 30_000);

    it('is a tree driven by the arrow keys, one tab stop, Right and Left opening and closing', async () => {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await tabTo(page, '[role=tree]');
      expect(await focused()).toBe(id.grandchild);
      await press('ArrowUp', id.child);
      await press('Home', id.root);
      // Left closes the root: one row; Right opens it again, then goes to its first child.
      await page.keyboard.press('ArrowLeft');
      await expect.poll(async () => (await tree()).length).toBe(1);
      expect(await page.getAttribute(`[data-id="${id.root}"]`, 'aria-expanded')).toBe('false');
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => (await tree()).length).toBe(3);
      expect(await page.getAttribute(`[data-id="${id.root}"]`, 'aria-expanded')).toBe('true');
      await press('ArrowRight', id.child);
      await press('ArrowDown', id.grandchild);
      // Left on a leaf goes to its parent; Enter and Space close and open a node; End goes last.
      await press('ArrowLeft', id.child);
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await tree()).length).toBe(2);
      await page.keyboard.press('Space');
      await expect.poll(async () => (await tree()).length).toBe(3);
      await press('End', id.grandchild);
      // The tree is one tab stop; its rows are not.
      expect(await page.getAttribute('[role=tree]', 'tabindex')).toBe('0');
      expect(await page.locator('[role=treeitem][tabindex]').count()).toBe(0);
      expect(await page.textContent('[data-testid=trace-detail] [data-testid=json]')).toContain(
        id.grandchild,
      );
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `trace-${backend.name}`);
      expect(problems).toEqual([]);
    }, 30_000);

    it('takes a correlation id in its form, from the keyboard', async () => {
      await page.goto(`${hub.base}/#/trace`);
      await tabTo(page, '#trace-id');
      await page.keyboard.type(flow);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/trace/${flow}`);
      await expect.poll(tree).toEqual(threeLevels());
      // No event was opened: nothing is highlighted, and the root is selected.
      expect(await page.locator('[role=treeitem].origin').count()).toBe(0);
      expect(await page.getAttribute(`[data-id="${id.root}"]`, 'aria-selected')).toBe('true');
      expect(problems).toEqual([]);
    });

    it("finds a root that carries no correlation id: its children's correlation is its id", async () => {
      const root = randomUUID();
      const child = randomUUID();
      await publish(hub.base, [
        { id: root, type: 'import.started', time: at(0) },
        { id: child, type: 'import.finished', time: at(65_000), correlationid: root, causationid: root },
      ]);
      await page.goto(`${hub.base}/#/trace/${child}`);
      await expect.poll(tree).toEqual([
        { id: root, level: 1, parent: '', sinceParent: 'root', sinceRoot: '' },
        { id: child, level: 2, parent: root, sinceParent: '+1 min 5 s', sinceRoot: '+1 min 5 s' },
      ]);
      // And from the root itself, which has no correlation id.
      await page.goto(`${hub.base}/#/trace/${root}`);
      await expect.poll(async () => (await tree()).map((n) => n.id)).toEqual([root, child]);
      expect(problems).toEqual([]);
    });

    it('names causes outside the correlation: in another one (with a link) or not found', async () => {
      const next = randomUUID();
      const orphan = randomUUID();
      await publish(hub.base, [
        // Caused by the first flow's child, but started a correlation of its own.
        {
          id: next,
          type: 'shipment.requested',
          time: at(2000),
          correlationid: 'flow-b',
          causationid: id.child,
        },
        {
          id: orphan,
          type: 'shipment.cancelled',
          time: at(2500),
          correlationid: 'flow-b',
          causationid: 'gone-1',
        },
      ]);
      await page.goto(`${hub.base}/#/trace/${next}`);
      await expect
        .poll(async () => (await tree()).map((n) => [n.id, n.level]))
        .toEqual([
          [next, 1],
          [orphan, 1],
        ]);
      const causes = await page.$$eval('[data-testid=outside-cause]', (els) => els.map((e) => e.textContent));
      expect(causes).toEqual([
        `caused by payment.requested ${id.child}, in correlation ${flow}`,
        'caused by gone-1 (not found / not readable)',
      ]);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `trace-outside-${backend.name}`);
      // The lookup of gone-1 was the one 404.
      expectNotFound(1);
      await page.locator('[data-testid=trace-detail]').getByRole('link', { name: 'Trace its cause' }).click();
      await expect.poll(tree).toEqual(threeLevels());
      expect(await page.getAttribute(`[data-id="${id.child}"]`, 'aria-selected')).toBe('true');
      expect(problems).toEqual([]);
    });

    it('says so when an id is neither an event nor a correlation', async () => {
      await page.goto(`${hub.base}/#/trace/no-such-thing`);
      await expect.poll(() => page.textContent('[data-testid=trace-empty]')).toContain('no-such-thing');
      expect(await axeViolations(page)).toEqual([]);
      // As a correlation it has no events (200); as an event id, 404.
      expectNotFound(1);
    });

    it('loads at most 10,000 events of a correlation, says so, and stays usable 10,000 levels deep', async () => {
      // A chain of 10,001 events, each caused by the one before.
      const big = `big-${randomUUID()}`;
      const ids = Array.from({ length: 10_001 }, () => randomUUID());
      for (let from = 0; from < ids.length; from += 2000) {
        await publish(
          hub.base,
          ids.slice(from, from + 2000).map((each, i) => ({
            id: each,
            type: 'step.done',
            time: at((from + i) * 10),
            correlationid: big,
            ...(from + i > 0 && { causationid: ids[from + i - 1] }),
          })),
        );
      }
      const started = Date.now();
      let lastResponse = 0;
      const onResponse = (r: { url: () => string }) => {
        if (r.url().includes('correlationid')) lastResponse = Date.now() - started;
      };
      page.on('response', onResponse);
      await page.goto(`${hub.base}/#/trace/${big}`);
      await expect
        .poll(() => page.textContent('[data-testid=trace-summary]'), { timeout: 30_000 })
        .toContain('10,000 events, 1 root');
      const loadMs = Date.now() - started;
      expect(await page.textContent('[data-testid=trace-truncated]')).toContain(
        'Only the first 10,000 events of this correlation are shown.',
      );
      // Virtualised: only the rows in view (and a few either side) are in the page.
      expect(await page.locator('[role=treeitem]').count()).toBeLessThan(100);
      // From the root (selected) to the last event with End, and one level up with Left.
      await page.focus('[role=tree]');
      const keyStarted = Date.now();
      await press('End', ids[9_999]!);
      await press('ArrowLeft', ids[9_998]!);
      const keyMs = (Date.now() - keyStarted) / 2;
      expect(await page.getAttribute(`[data-id="${ids[9_999]}"]`, 'aria-level')).toBe('10000');
      page.off('response', onResponse);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `trace-10000-${backend.name}`);
      console.log(
        `trace of 10,000 events (${backend.name}): loaded and drawn in ${loadMs} ms (last response at ${lastResponse} ms), ${keyMs} ms a key`,
      );
      expect(problems).toEqual([]);
    }, 120_000);
  });
});
