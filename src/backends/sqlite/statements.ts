import type Database from 'better-sqlite3';
import { sqlFile } from './sql-file.js';

// Every statement the log runs after its migrations, one file each in ./sql/.
const NAMES = [
  'cancel-scheduled',
  'claim-scheduled-due',
  'claim-scheduled-expired',
  'count-after',
  'delete-events-through',
  'delete-pending',
  'delete-scheduled',
  'delete-redriven-dead-letters',
  'delete-events-after',
  'delete-stream',
  'insert-dead-letter',
  'insert-event-type',
  'insert-event',
  'insert-event-chunk',
  'insert-group',
  'insert-pending',
  'insert-scheduled',
  'nack-pending',
  'purge-dead-letters',
  'read-by-correlation-backward',
  'read-by-correlation-forward',
  'read-by-position-backward',
  'read-by-position-forward',
  'read-by-stream-backward',
  'read-by-stream-forward',
  'read-by-type-backward',
  'read-by-type-forward',
  'redeliver-pending',
  'redrive-dead-letters',
  'select-bounds',
  'select-data-version',
  'select-dead-letter',
  'select-dead-letters',
  'select-due-pending',
  'select-event-by-id',
  'select-event-by-position',
  'select-event-count',
  'select-event-ref',
  'select-first-at-or-after',
  'select-group-names',
  'select-group-stats',
  'select-group',
  'select-last-before',
  'select-last-position',
  'select-last-recorded',
  'select-next-due',
  'select-nth-position',
  'select-pending',
  'select-pending-page',
  'select-pending-types',
  'select-schedule-added',
  'select-scheduled-due',
  'select-scheduled-next',
  'select-scheduled-page',
  'select-stream-version',
  'select-types-since',
  'truncate-stream',
  'update-group-cursor',
  'update-group-options',
  'update-log-stats',
  'update-schedule-stats',
] as const;

const PLUCKED = /^(read-by-|select-event-by-id$)/;

/** The name of a statement file in `./sql/`, without `.sql`. */
export type StatementName = (typeof NAMES)[number];

/** The log's prepared statements by file name. */
export type Statements = Readonly<Record<StatementName, Database.Statement>>;

/**
 * Prepares every statement once, at open (after the migrations: a statement can only be prepared
 * against tables that exist).
 *
 * @example
 * ```ts
 * const sql = prepareStatements(db);
 * sql['select-bounds'].get();
 * ```
 */
export function prepareStatements(db: Database.Database): Statements {
  const statements: Partial<Record<StatementName, Database.Statement>> = {};
  for (const name of NAMES) {
    const statement = db.prepare(sqlFile(`./sql/${name}.sql`));
    // Statements whose one output is the event JSON return it as a plain string.
    statements[name] = PLUCKED.test(name) ? statement.pluck() : statement;
  }
  return statements as Statements;
}
