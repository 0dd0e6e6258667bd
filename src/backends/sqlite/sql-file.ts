import { assetFiles } from '../../log/asset-files.js';

const assets = assetFiles(import.meta.url);

/**
 * The text of a `.sql` file beside this module (`./sql/<name>.sql`, `./migrations/<name>.sql`),
 * read once per process.
 *
 * @example
 * ```ts
 * db.prepare(sqlFile('./sql/select-bounds.sql'));
 * ```
 */
export const sqlFile = (path: string): string => assets.file(path);

/**
 * The numbered migrations in `./migrations/`, in order: `[{ version: 1, name: '001_events' }, ...]`.
 *
 * @example
 * ```ts
 * for (const { version, name } of migrationFiles()) db.exec(sqlFile(`./migrations/${name}.sql`));
 * ```
 */
export const migrationFiles = (): { version: number; name: string }[] => assets.migrations();
