import { createHash } from 'node:crypto';
import { assetFiles } from '../../log/asset-files.js';
import { escapeIdentifier, types, type CustomTypesConfig, type QueryConfig } from 'pg';

const assets = assetFiles(import.meta.url);

/**
 * The text of a `.sql` file beside this module (`./sql/<name>.sql`, `./migrations/<name>.sql`),
 * read once per process.
 *
 * @example
 * ```ts
 * sqlFile('./sql/lock-head.sql');
 * ```
 */
export const sqlFile = (path: string): string => assets.file(path);

/**
 * The numbered migrations in `./migrations/`, in order: `[{ version: 1, name: '001-events' }, ...]`.
 *
 * @example
 * ```ts
 * for (const { name } of migrationFiles()) console.log(name);
 * ```
 */
export const migrationFiles = (): { version: number; name: string }[] => assets.migrations();

// bigint columns (positions, counts) come back as numbers: they stay far below 2^53.
const parseInt8 = (value: string): number => Number(value);
const defaultParser = types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;
const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === 20 ? parseInt8 : defaultParser(oid, format)) as CustomTypesConfig['getTypeParser'];

/**
 * The type parsers of every query the log runs (also on a caller's client, for the outbox):
 * `pg`'s defaults, except that `bigint` is a number.
 *
 * @example
 * ```ts
 * await client.query({ text: 'SELECT count(*) AS n FROM herald.events', types: QUERY_TYPES }); // n: number
 * ```
 */
export const QUERY_TYPES: CustomTypesConfig = { getTypeParser };

/** The name of a statement file in `./sql/`, without `.sql`. */
export type StatementName = string;

/**
 * The log's statements for one schema: each file's text with `{schema}` replaced by the quoted
 * schema name, and the LISTEN/NOTIFY channel of that schema. Statements run as unnamed
 * (planned with their parameters) unless asked to be prepared once per connection.
 *
 * @example
 * ```ts
 * const sql = new SchemaSql('herald');
 * await pool.query(sql.query('select-bounds', []));
 * ```
 */
export class SchemaSql {
  readonly schema: string;
  /** The schema name quoted as an identifier. */
  readonly quoted: string;
  /** The notification channel of the log: at most 63 bytes, as PostgreSQL requires. */
  readonly channel: string;
  readonly #texts = new Map<string, string>();
  readonly #names = new Map<string, string>();

  constructor(schema: string) {
    this.schema = schema;
    this.quoted = escapeIdentifier(schema);
    const channel = `herald.${schema}`;
    this.channel =
      Buffer.byteLength(channel) <= 63
        ? channel
        : `herald.${createHash('sha1').update(schema).digest('hex')}`;
  }

  /** The text of `./sql/<name>.sql` (or of another path under this folder) for this schema. */
  text(name: StatementName): string {
    let text = this.#texts.get(name);
    if (text === undefined) {
      const path = name.startsWith('./') ? name : `./sql/${name}.sql`;
      text = sqlFile(path).replaceAll('{schema}', this.quoted);
      this.#texts.set(name, text);
    }
    return text;
  }

  /**
   * A query of statement `name`. `prepared` names it, so each connection parses and plans it
   * once: only for statements whose plan does not depend on their parameters.
   */
  query(name: StatementName, values: unknown[], prepared = false): QueryConfig {
    const text = this.text(name);
    if (!prepared) return { text, values, types: QUERY_TYPES };
    let statement = this.#names.get(name);
    if (statement === undefined) {
      // The text differs per schema, and a connection may serve several logs.
      statement = `herald_${name}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
      this.#names.set(name, statement);
    }
    return { name: statement, text, values, types: QUERY_TYPES };
  }
}
