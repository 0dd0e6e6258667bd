import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { HeraldError } from '../../errors/index.js';
import type { ResolvedSqliteOptions } from './options.js';

/**
 * Opens (creating) the database file with the log's connection settings: WAL (readers never
 * block the writer, and a commit is one append to the WAL), `synchronous` from the durability,
 * a busy timeout for other processes' write locks, and foreign keys (pending deliveries cascade
 * with their events).
 *
 * @example
 * ```ts
 * const db = openDatabase(resolveSqliteOptions({ path: 'events.db' }));
 * ```
 */
export function openDatabase(options: ResolvedSqliteOptions): Database.Database {
  mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const db = new Database(options.path, { timeout: options.busyTimeoutMs });
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
