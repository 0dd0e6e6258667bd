import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import type { ConformanceContext } from '../src/testing/index.js';
import { describeEventLogConformance } from '../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One file per case (the prefix is unique); a restart reopens the same file with the same limits,
// and a second log opens it as another process would.
const open = (ctx: ConformanceContext) =>
  sqliteLog({
    path: join(dir, `${ctx.prefix}.db`),
    retention: ctx.retention,
    pollIntervalMs: 50,
    scheduler: ctx.scheduler,
  });

describeEventLogConformance({
  name: 'sqlite',
  createLog: open,
  openSecond: open,
  restart: async (log, ctx) => {
    await log.close();
    return open(ctx);
  },
});
