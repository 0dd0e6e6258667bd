/**
 * The hubs the dashboard's browser tests run against: the embedded default (SQLite in a temporary
 * folder) and PostgreSQL (a schema of its own on the test server, held shared so the restart test
 * never restarts it underneath). `forEachDashboardBackend` runs a suite once per backend; without
 * PostgreSQL its run skips with the reason printed (and fails under `CI=true`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { postgresLog } from '../../src/backends/postgres/index.js';
import { sqliteLog } from '../../src/backends/sqlite/index.js';
import type { EventLog } from '../../src/log/types.js';
import { holdServer } from '../fixtures/postgres-server-lock.js';
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
