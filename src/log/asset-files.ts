import { readdirSync, readFileSync } from 'node:fs';

/** Reads the SQL (or Lua) files that sit beside one backend's modules. */
export interface AssetFiles {
  /** The text of `path` relative to the backend's folder (`./sql/<name>.sql`), read once per process. */
  file(path: string): string;
  /** The numbered migrations in `./migrations/` (`001-events.sql`, `002_groups.sql`), in order. */
  migrations(): { version: number; name: string }[];
}

/**
 * The asset reader of a backend folder, given a module URL inside it. SQL and Lua live in files
 * so each statement can be read and explained on its own; `scripts/copy-assets.js` copies them
 * next to the compiled JavaScript.
 *
 * @example
 * ```ts
 * const assets = assetFiles(import.meta.url);
 * assets.file('./sql/select-bounds.sql');
 * for (const { name } of assets.migrations()) console.log(name);
 * ```
 */
export function assetFiles(moduleUrl: string): AssetFiles {
  const texts = new Map<string, string>();
  return {
    file(path) {
      let text = texts.get(path);
      if (text === undefined) {
        text = readFileSync(new URL(path, moduleUrl), 'utf8');
        texts.set(path, text);
      }
      return text;
    },
    migrations() {
      return readdirSync(new URL('./migrations/', moduleUrl))
        .filter((file) => /^\d+[-_][\w-]+\.sql$/.test(file))
        .map((file) => ({ version: Number.parseInt(file, 10), name: file.slice(0, -'.sql'.length) }))
        .sort((a, b) => a.version - b.version);
    },
  };
}
