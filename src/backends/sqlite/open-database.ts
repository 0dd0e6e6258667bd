import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { HeraldError } from '../../errors/index.js';
import type { ResolvedSqliteOptions } from './options.js';

/**
 * How long one statement waits for another process's lock. better-sqlite3 waits synchronously,
 * holding the event loop, so the wait is short; the write queue tries a round again, on a timer,
 * for the rest of `busyTimeoutMs`.
 */
const LOCK_WAIT_MS = 25;

/**
 * Opens (creating) the database file with the log's connection settings: WAL (readers never
 * block the writer, and a commit is one append to the WAL), `synchronous` from the durability,
 * a short busy wait for other processes' locks, and foreign keys (pending deliveries cascade
 * with their events).
 *
 * @example
 * ```ts
 * const db = openDatabase(resolveSqliteOptions({ path: 'events.db' }));
 * ```
 */
export function openDatabase(options: ResolvedSqliteOptions): Database.Database {
  mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const db = new Database(options.path, { timeout: Math.min(options.busyTimeoutMs, LOCK_WAIT_MS) });
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new HeraldError('INVALID_OPTION', `${options.path} cannot use WAL mode (got "${String(mode)}")`, {
        details: { option: 'path', value: options.path },
      });
    }
    db.pragma(`synchronous = ${options.durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
