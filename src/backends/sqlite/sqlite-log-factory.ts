import type { EventLog } from '../../log/types.js';
import { whenUnlocked } from './busy.js';
import { migrate } from './migrate.js';
import { openDatabase } from './open-database.js';
import { resolveSqliteOptions, type SqliteLogOptions } from './options.js';
import { SqliteLog } from './sqlite-log.js';
import { prepareStatements } from './statements.js';
import { logSurface } from '../../log/surface.js';

/**
 * The embedded default `EventLog`: one SQLite file in WAL mode (parent directories created,
 * numbered migrations applied at open). Appends from concurrent callers are group-committed: one
 * transaction and one fsync per round of the event loop, each caller's batch atomic and checked
 * on its own. An append resolves once its round is committed (and fsynced with `durability:
 * 'fsync'`, the default). Several processes may use the same file: writes take SQLite's write lock
 * (IMMEDIATE transactions), idle readers poll every `pollIntervalMs`. Consumer groups keep their
 * state in the file and resume after a restart. Scheduled events (`schedule`) wait in the file too;
 * every log object with the `scheduler` option's `move` on (the default) appends them when due, in
 * whichever process.
 *
 * Differences from the memory log, all forced by storage: a dead letter whose event was deleted
 * (retention, `deleteStream`) is kept but can no longer be redriven; deleting an event drops its
 * pending deliveries. See `docs/sqlite.md` for the schema and the guarantees.
 *
 * @example
 * ```ts
 * import { sqliteLog } from 'herald/sqlite';
 *
 * const log = await sqliteLog({ path: './herald-data/events.db' });
 * await log.append([{ type: 'order.created', data: { id: 'o-1' } }], { stream: 'order-o-1', expectedVersion: 'no_stream' });
 * const group = await log.group('mailer', { types: ['order.>'], startAt: 'start' });
 * for (const delivery of await group.pull({ max: 10, waitMs: 1000 })) await delivery.ack();
 * await log.close();
 * ```
 */
export async function sqliteLog(options: SqliteLogOptions): Promise<EventLog> {
  const resolved = resolveSqliteOptions(options);
  const db = await whenUnlocked(() => openDatabase(resolved), resolved.busyTimeoutMs);
  try {
    // Another process may be migrating the same new file, or writing: wait for its lock.
    await whenUnlocked(() => migrate(db), resolved.busyTimeoutMs);
    return logSurface(new SqliteLog(db, prepareStatements(db), resolved));
  } catch (error) {
    db.close();
    throw error;
  }
}
