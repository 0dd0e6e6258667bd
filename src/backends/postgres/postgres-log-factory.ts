import { Pool } from 'pg';
import { invalidOption } from '../../log/invalid-option.js';
import type { EventLog } from '../../log/types.js';
import { withDefaultUser } from './default-user.js';
import { migrate } from './migrate.js';
import { resolvePostgresOptions, type PostgresLogOptions } from './options.js';
import { withRetry } from './pg-errors.js';
import { PostgresLog } from './postgres-log.js';
import { SchemaSql } from './sql-file.js';
import { logSurface } from '../../log/surface.js';

/**
 * The shared, durable `EventLog` on PostgreSQL (through `pg`, an optional peer dependency that
 * only this subpath imports): several processes and hub instances append to and read one log.
 * Its tables live in one schema (`schema`, default `'herald'`), created with numbered migrations
 * at open (safe from several processes at once).
 *
 * - Positions are assigned from a one-row head table inside the appending transaction, whose row
 *   lock makes appending transactions commit in position order: readers never see position
 *   `n + 1` before `n`, under any number of writers in any number of processes.
 * - Concurrent appends in one process share a transaction (group commit): one head lock, one
 *   multi-row insert, one commit for the round; each caller's batch is still atomic and checked
 *   on its own (`expectedVersion`, duplicate ids).
 * - Tails and waiting pulls wake on LISTEN/NOTIFY (one dedicated connection per log, reconnected
 *   when it drops), with a fallback look every `pollIntervalMs`.
 * - Consumer groups claim with `FOR UPDATE SKIP LOCKED`: members in any process share the work.
 * - Scheduled events wait in the `scheduled_events` table (nothing pending is kept in memory);
 *   every log object on the schema moves due ones with the same `SKIP LOCKED` claims and a lease
 *   (`scheduler` options), judged by the database's clock, and wakes on other processes'
 *   schedules by notification.
 * - While the server is unreachable calls retry for `retryTimeoutMs`, then fail with
 *   `LOG_UNREACHABLE`; tails keep trying while the log is open and go on with no gap.
 *
 * See `docs/postgres.md` for the schema, the design and its trade-offs, and `appendInTransaction`
 * for the transactional outbox.
 *
 * @example
 * ```ts
 * import { postgresLog } from 'herald/postgres';
 *
 * const log = await postgresLog({ connectionString: 'postgres://app@localhost/shop' });
 * await log.append([{ type: 'order.created', data: { id: 'o-1' } }], { stream: 'order-o-1', expectedVersion: 'no_stream' });
 * const group = await log.group('mailer', { types: ['order.>'], startAt: 'start' });
 * for (const delivery of await group.pull({ max: 10, waitMs: 1000 })) await delivery.ack();
 * await log.close();
 * ```
 */
export async function postgresLog(options: PostgresLogOptions): Promise<EventLog> {
  const resolved = resolvePostgresOptions(options);
  const { pool: given, connectionString } = options;
  if (given === undefined && (typeof connectionString !== 'string' || connectionString === '')) {
    throw invalidOption('connectionString', connectionString, 'a PostgreSQL URL, or a pool');
  }
  if (given !== undefined && !(given instanceof Pool)) throw invalidOption('pool', given, 'a pg Pool');
  const pool =
    given ?? new Pool({ connectionString: withDefaultUser(connectionString!), max: resolved.poolSize });
  // An idle connection that the server drops (a restart) is an 'error' of the pool, which would
  // otherwise crash the process; the next query connects again.
  if (given === undefined) pool.on('error', () => undefined);
  const sql = new SchemaSql(resolved.schema);
  try {
    const opened = await withRetry(
      async () => {
        await migrate(pool, sql);
        const row = (await pool.query(sql.query('select-open', []))).rows[0] as {
          last: number;
          durable_commit: boolean;
          wal_commit: boolean;
        };
        return row;
      },
      { timeoutMs: resolved.retryTimeoutMs },
    );
    const log = new PostgresLog({
      pool,
      ownsPool: given === undefined,
      sql,
      options: resolved,
      last: opened.last,
      durableCommit: opened.durable_commit,
      walCommit: opened.wal_commit,
    });
    try {
      await withRetry(() => log.listen(), { timeoutMs: resolved.retryTimeoutMs });
    } catch (error) {
      await log.close();
      throw error;
    }
    return logSurface(log);
  } catch (error) {
    if (given === undefined && !pool.ending) await pool.end();
    throw error;
  }
}
