import type { Pool } from 'pg';
import { isBroken } from './pg-errors.js';
import { withClient } from './pooled-client.js';
import { migrationFiles, type SchemaSql } from './sql-file.js';

/**
 * Creates the schema if needed and applies the numbered migrations not yet recorded in its
 * `schema_migrations`, all in one transaction under a transaction-scoped advisory lock keyed by
 * the schema: processes opening a new log at once take turns, and the later ones find the work
 * done. An up-to-date schema is recognised without the lock or any DDL. Returns the versions it
 * applied.
 *
 * @example
 * ```ts
 * await migrate(pool, new SchemaSql('herald')); // [1, 2] on a new schema, [] afterwards
 * ```
 */
export async function migrate(pool: Pool, sql: SchemaSql): Promise<number[]> {
  const files = migrationFiles();
  return withClient(pool, async (client) => {
    const versions = async (): Promise<Set<number>> => {
      const { rows } = await client.query<{ version: number }>(sql.query('select-migrations', []));
      return new Set(rows.map((row) => row.version));
    };
    const state = (
      await client.query<{ schema_present: boolean; present: boolean }>(
        sql.query('select-migrations-table', [sql.schema]),
      )
    ).rows[0]!;
    if (state.present) {
      const done = await versions();
      if (files.every((file) => done.has(file.version))) return [];
    }
    await client.query('BEGIN');
    try {
      await client.query(sql.query('lock-migrations', [sql.schema]));
      if (!state.schema_present) await client.query(sql.query('create-schema', []));
      await client.query(sql.query('create-schema-migrations', []));
      const done = await versions();
      const applied: number[] = [];
      for (const { version, name } of files) {
        if (done.has(version)) continue;
        // A migration file holds several statements: sent as one simple query, in this transaction.
        await client.query(sql.text(`./migrations/${name}.sql`));
        await client.query(sql.query('insert-migration', [version, name]));
        applied.push(version);
      }
      await client.query('COMMIT');
      return applied;
    } catch (error) {
      if (!isBroken(error)) await client.query('ROLLBACK');
      throw error;
    }
  });
}
