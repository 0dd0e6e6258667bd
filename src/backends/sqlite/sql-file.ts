import { readdirSync, readFileSync } from 'node:fs';

const texts = new Map<string, string>();

/**
 * The text of a `.sql` file beside this module (`./sql/<name>.sql`, `./migrations/<name>.sql`),
 * read once per process. SQL lives in files so each statement can be read and explained on its
 * own; `scripts/copy-assets.mjs` copies them next to the compiled JavaScript.
 *
 * @example
 * ```ts
 * db.prepare(sqlFile('./sql/select-bounds.sql'));
 * ```
 */
export function sqlFile(path: string): string {
  let text = texts.get(path);
  if (text === undefined) {
    text = readFileSync(new URL(path, import.meta.url), 'utf8');
    texts.set(path, text);
  }
  return text;
}

/**
 * The numbered migrations in `./migrations/`, in order: `[{ version: 1, name: '001_events' }, ...]`.
 *
 * @example
 * ```ts
 * for (const { version, name } of migrationFiles()) db.exec(sqlFile(`./migrations/${name}.sql`));
 * ```
 */
export function migrationFiles(): { version: number; name: string }[] {
  return readdirSync(new URL('./migrations/', import.meta.url))
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .map((file) => ({ version: Number.parseInt(file, 10), name: file.slice(0, -'.sql'.length) }))
    .sort((a, b) => a.version - b.version);
}
