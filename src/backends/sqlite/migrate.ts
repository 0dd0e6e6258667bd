import type Database from 'better-sqlite3';
import { migrationFiles, sqlFile } from './sql-file.js';

/**
 * Applies the numbered migrations not yet recorded in `schema_migrations`, all in one IMMEDIATE
 * transaction: two processes opening a new file at once take turns, and the second finds the
 * work done. Returns the versions it applied.
 *
 * @example
 * ```ts
 * migrate(db); // [1, 2] on a new file, [] afterwards
 * ```
 */
export function migrate(db: Database.Database): number[] {
  const run = db.transaction((): number[] => {
    db.prepare(sqlFile('./sql/create-schema-migrations.sql')).run();
    const done = new Set(db.prepare(sqlFile('./sql/select-migrations.sql')).pluck().all() as number[]);
    const record = db.prepare(sqlFile('./sql/insert-migration.sql'));
    const applied: number[] = [];
    for (const { version, name } of migrationFiles()) {
      if (done.has(version)) continue;
      db.exec(sqlFile(`./migrations/${name}.sql`));
      record.run({ version, name, appliedAt: new Date().toISOString() });
      applied.push(version);
    }
    return applied;
  });
  return run.immediate();
}
