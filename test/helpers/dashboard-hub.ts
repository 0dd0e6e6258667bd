/**
 * The hubs the dashboard's browser tests run against: the embedded default (SQLite in a temporary
 * folder) and PostgreSQL (a schema of its own on the test server, held shared so the restart test
 * never restarts it underneath). `forEachDashboardBackend` runs a suite once per backend; without
 * PostgreSQL its run skips with the reason printed (and fails under `CI=true`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe } from 'vitest';
import { postgresLog } from '../../src/backends/postgres/index.js';
import { sqliteLog } from '../../src/backends/sqlite/index.js';
import type { EventLog } from '../../src/log/types.js';
import { holdServer } from '../fixtures/postgres-server-lock.js';
import { openChromium } from './chromium.js';
import { startHub, type TestHub } from './sse-hub.js';
import { POSTGRES_URL, dropSchemas, postgresUnreachable, uniqueSchema } from '../fixtures/postgres-server.js';

/** A log for one test file, and how to get rid of it. */
export interface DashboardBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Opens a fresh, empty log (a new file or a new schema). */
  open(): Promise<{ log: EventLog; dispose: () => Promise<void> }>;
}

const sqlite: DashboardBackend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'herald-dashboard-'));
    const log = await sqliteLog({ path: join(dir, 'hub.db') });
    return {
      log,
      dispose: async () => {
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: DashboardBackend = {
  name: 'postgres',
  async open() {
    const release = await holdServer();
    const schema = uniqueSchema('dash');
    const log = await postgresLog({ connectionString: POSTGRES_URL, schema });
    return {
      log,
      dispose: async () => {
        await log.close();
        await dropSchemas([schema]);
        await release();
      },
    };
  },
};

const postgresMissing = await postgresUnreachable();

/**
 * Runs `body` in a `describe` per backend (SQLite, then PostgreSQL); the body opens its log with
 * `backend.open()` in its `beforeAll`. Without a PostgreSQL server its describe is skipped (the
 * reason is printed by `postgresUnreachable`; under `CI=true` that throws instead).
 *
 * @example
 * ```ts
 * forEachDashboardBackend('the trace view', (backend) => {
 *   beforeAll(async () => ({ log, dispose } = await backend.open()));
 * });
 * ```
 */
export function forEachDashboardBackend(name: string, body: (backend: DashboardBackend) => void): void {
  describe(`${name} (sqlite)`, () => body(sqlite));
  describe.skipIf(postgresMissing !== undefined)(`${name} (postgres)`, () => body(postgres));
}

/** Where the dashboard keeps the token in session storage (dashboard/api.ts). */
const TOKEN_KEY = 'herald.dashboard.token';

/** A hub on a fresh log of one backend, and a Chromium page recording its problems. */
export interface OpenDashboard {
  readonly log: EventLog;
  readonly hub: TestHub;
  readonly browser: Browser;
  readonly page: Page;
  /** Console errors, page errors, failed requests and CSP violations (see `openChromium`). */
  readonly problems: string[];
  /** Closes the browser, the hub and the log (and drops its file or schema). */
  close(): Promise<void>;
}

/**
 * Opens what a dashboard browser suite needs: a fresh log of `backend`, a hub on it (with
 * `hub` options such as `auth`), and headless Chromium, with `token` already typed into the
 * page's token field if given. Call it in `beforeAll` and `close()` in `afterAll`.
 *
 * @example
 * ```ts
 * let d: OpenDashboard;
 * beforeAll(async () => (d = await openDashboard(backend, { hub: { auth: { keys } } })));
 * afterAll(() => d?.close());
 * ```
 */
export async function openDashboard(
  backend: DashboardBackend,
  options: {
    hub?: Omit<Parameters<typeof startHub>[0], 'log'>;
    abortable?: readonly string[];
    /** A token already in the page's token field (kept in session storage, as the page does). */
    token?: string;
  } = {},
): Promise<OpenDashboard> {
  const { log, dispose } = await backend.open();
  const hub = await startHub({ ...options.hub, log });
  const { browser, page, problems } = await openChromium(
    options.abortable === undefined ? {} : { abortable: options.abortable },
  );
  if (options.token !== undefined) {
    // Set before any script of the page runs, as if typed into the token field earlier in the tab.
    await page.addInitScript({
      content: `if (!sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})) sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)}, ${JSON.stringify(options.token)});`,
    });
  }
  return {
    log,
    hub,
    browser,
    page,
    problems,
    close: async () => {
      await browser.close();
      await hub.app.close();
      await dispose();
    },
  };
}
