import type { ClientBase } from 'pg';
import { HeraldError } from '../../errors/index.js';
import type { HeraldEvent } from '../../event/types.js';
import { invalidOption } from '../../log/invalid-option.js';
import { checkDuplicates } from '../../log/duplicate-check.js';
import { prepareAppend } from '../../log/prepare-append.js';
import type { AppendInput, AppendOptions, Appended } from '../../log/types.js';
import { appendRequest, appendRound, type HeadRow } from './append-round.js';
import { checkSchema } from './options.js';
import { SchemaSql } from './sql-file.js';

/**
 * Options of `appendInTransaction`: those of `append`, and the schema of the log.
 *
 * @example
 * ```ts
 * const options: OutboxAppendOptions = { schema: 'herald', stream: 'order-o-1', expectedVersion: 'no_stream' };
 * ```
 */
export interface OutboxAppendOptions extends AppendOptions {
  /** The schema of the log (default `'herald'`), created by `postgresLog` beforehand. */
  schema?: string;
}

const schemas = new Map<string, SchemaSql>();

// undefined_table, invalid_schema_name: the log was never opened on this schema.
const NO_LOG = new Set(['42P01', '3F000']);

// Outside a transaction block SAVEPOINT fails (25P01) and changes nothing.
const NO_TRANSACTION = '25P01';

/** Whether `client` is inside a transaction block: from `pg`'s own tracking, else by probing. */
async function inTransaction(client: ClientBase): Promise<boolean> {
  const status = (client as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
  if (typeof status === 'string') return status !== 'I';
  try {
    await client.query('SAVEPOINT herald_outbox_probe');
    await client.query('RELEASE SAVEPOINT herald_outbox_probe');
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === NO_TRANSACTION) return false;
    throw error;
  }
}

async function lockHead(client: ClientBase, sql: SchemaSql): Promise<HeadRow> {
  try {
    return (await client.query<HeadRow>(sql.query('lock-head', [], true))).rows[0]!;
  } catch (error) {
    if (!NO_LOG.has(String((error as { code?: unknown }).code))) throw error;
    throw new HeraldError(
      'INVALID_OPTION',
      `schema ${sql.quoted} holds no Herald log: open it with postgresLog first`,
      {
        cause: error,
        details: { option: 'schema', value: sql.schema },
      },
    );
  }
}

/**
 * The transactional outbox: appends events in the caller's own transaction, so an application's
 * row changes and its events commit or roll back together. `client` is a `pg` client inside
 * `BEGIN` (a `PoolClient` or a `Client`); the events exist for nobody until the caller commits,
 * and never if it rolls back. At commit, PostgreSQL notifies the log's listeners: live tails and
 * waiting pulls of every process wake as for any append.
 *
 * The append takes the log's head row, which orders all appends: other appenders (in every
 * process) wait until this transaction ends, so keep it short. Everything else is as `append`:
 * the batch is validated first, duplicates report their original, `expectedVersion` is checked
 * (a `ConcurrencyError` is thrown before anything is written, and leaves the transaction usable).
 * Retention is not applied here (the log's next round applies it). Under REPEATABLE READ or
 * SERIALIZABLE a concurrent append makes PostgreSQL fail the statement with a serialization
 * error (40001): run the transaction again, as for any serialization failure.
 *
 * @example
 * ```ts
 * import { appendInTransaction } from 'herald/postgres';
 *
 * const client = await pool.connect();
 * try {
 *   await client.query('BEGIN');
 *   await client.query('UPDATE orders SET status = $1 WHERE id = $2', ['paid', 'o-1']);
 *   await appendInTransaction(client, [{ type: 'order.paid', data: { id: 'o-1' } }], { stream: 'order-o-1' });
 *   await client.query('COMMIT');
 * } catch (error) {
 *   await client.query('ROLLBACK');
 *   throw error;
 * } finally {
 *   client.release();
 * }
 * ```
 */
export async function appendInTransaction(
  client: ClientBase,
  events: readonly AppendInput[],
  options: OutboxAppendOptions = {},
): Promise<Appended[]> {
  const { schema = 'herald', ...appendOptions } = options;
  checkSchema(schema);
  let sql = schemas.get(schema);
  if (sql === undefined) schemas.set(schema, (sql = new SchemaSql(schema)));
  const prepared = prepareAppend(events, appendOptions);
  if (prepared.events.length === 0) return [];
  if (!(await inTransaction(client))) {
    // Outside BEGIN the head lock would end with its statement: the append would not be ordered.
    throw invalidOption('client', 'a client outside a transaction', 'a client inside BEGIN ... COMMIT');
  }
  const head = await lockHead(client, sql);
  const [outcome] = (await appendRound(client, sql, [appendRequest(prepared)], head)).outcomes;
  if (!outcome!.ok) throw outcome!.error;
  // Loaded in the caller's transaction: an original it appended earlier is visible there.
  const byId = sql;
  return checkDuplicates(prepared.events, outcome!.value, async (id) => {
    const { rows } = await client.query<{ event: HeraldEvent }>(byId.query('select-event-by-id', [id]));
    return rows[0]?.event;
  });
}
