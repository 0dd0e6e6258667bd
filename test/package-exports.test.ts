import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Imports the built package through its own name, as a user would: proves the `exports` map, the
// compiled output and the copied SQL files. `npm test` builds first (the `pretest` script).
describe('the built package', () => {
  it('exports the core, herald/testing and herald/sqlite, and the SQLite log runs from dist', async () => {
    const core = await import('herald');
    const testing = await import('herald/testing');
    const sqlite = await import('herald/sqlite');
    expect(typeof core.createBroker).toBe('function');
    expect(typeof core.memoryLog).toBe('function');
    expect(typeof testing.describeEventLogConformance).toBe('function');
    const dir = mkdtempSync(join(tmpdir(), 'herald-dist-'));
    try {
      const log = await sqlite.sqliteLog({ path: join(dir, 'events.db') });
      const broker = core.createBroker({ log });
      const e = await broker.publish('dist.check', { ok: true });
      expect(e.position).toBe(1);
      await broker.close();
      await log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
