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

  it('exports herald/server, herald/postgres, herald/redis and herald/nats from dist, with their SQL and Lua files', async () => {
    const server = await import('herald/server');
    const postgres = await import('herald/postgres');
    const redis = await import('herald/redis');
    const nats = await import('herald/nats');
    expect(typeof server.createServer).toBe('function');
    expect(typeof server.openApiDocument().paths).toBe('object');
    expect(typeof postgres.postgresLog).toBe('function');
    expect(typeof postgres.appendInTransaction).toBe('function');
    expect(typeof redis.redisLog).toBe('function');
    expect(typeof redis.redisTransport).toBe('function');
    expect(typeof redis.redisDedupeStore).toBe('function');
    expect(typeof nats.natsLog).toBe('function');
    const { existsSync } = await import('node:fs');
    const dist = new URL('../dist/backends/', import.meta.url);
    expect(existsSync(new URL('postgres/migrations/001-events.sql', dist))).toBe(true);
    expect(existsSync(new URL('redis/lua/append.lua', dist))).toBe(true);
  });
});
