/**
 * Headless Chromium for the browser tests (playwright-core against Debian's /usr/bin/chromium):
 * launching it, collecting every console error, page error, failed request and CSP violation a
 * page causes, accessibility checks with axe-core, and screenshots kept outside the repository.
 * Without Chromium a suite skips with the reason printed, and fails under `CI=true`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * `describe(name, body)` when Chromium is installed; otherwise one skipped test that says why
 * (a failing one under `CI=true`).
 *
 * @example
 * ```ts
 * describeInChromium('the dashboard overview', () => { it('loads', async () => { ... }); });
 * ```
 */
export function describeInChromium(name: string, body: () => void): void {
  describe(name, () => {
    if (existsSync(CHROMIUM)) {
      body();
      return;
    }
    const reason = `no Chromium at ${CHROMIUM}`;
    if (process.env.CI === 'true') {
      it('runs in Chromium', () => {
        expect.fail(`${reason} (required under CI=true)`);
      });
    } else {
      console.warn(`skipping "${name}": ${reason}`);
      it.skip(`runs in Chromium (skipped: ${reason})`, () => undefined);
    }
  });
}

/** A browser, a page in it, and the problems the page has had so far. */
export interface BrowserPage {
  browser: Browser;
  page: Page;
  /** Console errors and warnings, page errors, failed requests, CSP violations. */
  problems: string[];
}

/**
 * Launches headless Chromium and opens a page that records its problems. Requests aborted on
 * purpose (a live stream the page closes) are not problems: list their URL parts in `abortable`.
 *
 * @example
 * ```ts
 * const { browser, page, problems } = await openChromium({ abortable: ['/v1/sse'] });
 * ```
 */
export async function openChromium(options: { abortable?: readonly string[] } = {}): Promise<BrowserPage> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning')
      problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    const aborted =
      request.failure()?.errorText === 'net::ERR_ABORTED' &&
      (options.abortable ?? []).some((part) => request.url().includes(part));
    if (!aborted) problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  // Injected through the devtools protocol, not by the page: not subject to the page's CSP.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => {
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
    });`,
  });
  return { browser, page, problems };
}

const shotsDir = process.env.HERALD_SCREENSHOTS ?? join(tmpdir(), 'herald-screenshots');

/**
 * Saves a full-page screenshot as `<name>.png` in `$HERALD_SCREENSHOTS` (default
 * `<tmp>/herald-screenshots`), never in the repository, and prints its path.
 *
 * @example
 * ```ts
 * await screenshot(page, 'overview-sqlite');
 * ```
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(shotsDir, { recursive: true });
  const path = join(shotsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One accessibility violation axe-core found: its rule, impact and the elements. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now and returns the
 * violations. axe is evaluated through the devtools protocol, so the page's CSP stays strict.
 *
 * @example
 * ```ts
 * expect(await axeViolations(page)).toEqual([]);
 * ```
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<AxeResults> } }
    ).axe;
    interface AxeResults {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    }
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

/**
 * Presses Tab until the focused element matches `selector` (at most `max` presses) and returns
 * how many it took, or throws: proves an action is reachable from the keyboard alone.
 *
 * @example
 * ```ts
 * await tabTo(page, '[data-testid=redrive-all]');
 * await page.keyboard.press('Enter');
 * ```
 */
export async function tabTo(page: Page, selector: string, max = 60): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) === true, selector)) return i;
  }
  throw new Error(`"${selector}" was not reached with ${max} presses of Tab`);
}
