import type { Pool, PoolClient } from 'pg';
import { isBroken } from './pg-errors.js';

/**
 * Runs `work` on a connection checked out of `pool`, then gives it back, or throws it away when
 * it broke. While checked out, a connection that dies emits `'error'` on its client, which would
 * crash the process unless someone listens: this listens (the failing query rejects anyway).
 *
 * @example
 * ```ts
 * const rows = await withClient(pool, async (client) => (await client.query('SELECT 1')).rows);
 * ```
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (error) {
    if (isBroken(error)) broken ??= error as Error;
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
