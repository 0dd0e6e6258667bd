/**
 * `herald/sqlite`: the embedded, durable EventLog on one SQLite file (better-sqlite3, an optional
 * peer dependency that only this subpath imports).
 */
export { sqliteLog } from './sqlite-log-factory.js';
export type { SqliteLogOptions, SqliteDurability } from './options.js';
