import { Pool } from 'pg';
import { afterAll, afterEach, describe, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import type { ConformanceContext } from '../src/testing/index.js';
import { describeEventLogConformance } from '../src/testing/index.js';
import { startCuttingProxy } from './fixtures/cutting-proxy.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable } from './fixtures/postgres-server.js';
import { holdServer } from './fixtures/postgres-server-lock.js';

const unreachable = await postgresUnreachable();

if (unreachable !== undefined) {
  describe('EventLog conformance: postgres', () => {
    it.skip(`needs PostgreSQL: ${unreachable}`, () => undefined);
  });
} else {
  // Not while the restart test restarts the server.
  const release = await holdServer();
  // One pool for every case (the `pool` option); each log adds its own listening connection.
  const pool = new Pool({ connectionString: POSTGRES_URL, max: 10 });
  pool.on('error', () => undefined);
  const schemas = new Set<string>();
  // The cut reply cases' logs connect through it: it loses the reply of a COMMIT.
  const proxy = await startCuttingProxy(POSTGRES_URL);
  // A simple-query message whose text is exactly `COMMIT`: 'Q', its length (4 + 7), the text.
  const COMMIT = Buffer.from('Q\0\0\0\x0bCOMMIT\0', 'latin1');

  // A schema per case (the prefix is unique); a restart opens the same schema with the same limits.
  const open = (ctx: ConformanceContext) => {
    const schema = `herald_${ctx.prefix}`;
    schemas.add(schema);
    return postgresLog({ pool, schema, retention: ctx.retention, scheduler: ctx.scheduler });
  };

  // The suite closed the case's log: its schema goes.
  afterEach(async () => {
    const done = [...schemas];
    schemas.clear();
    await dropSchemas(done);
  });
  afterAll(async () => {
    await dropSchemas(schemas);
    await pool.end();
    await proxy.close();
    await release();
  });

  describeEventLogConformance({
    name: 'postgres',
    createLog: open,
    // Same schema, same storage: another log object, as another process would open it.
    openSecond: open,
    restart: async (log, ctx) => {
      await log.close();
      return open(ctx);
    },
    cutReply: {
      createLog: (ctx) => {
        const schema = `herald_${ctx.prefix}`;
        schemas.add(schema);
        const url = new URL(POSTGRES_URL);
        url.hostname = proxy.host;
        url.port = String(proxy.port);
        // Its own pool through the proxy; a short retry budget so a failing case fails fast.
        return postgresLog({ connectionString: url.toString(), schema, retryTimeoutMs: 3_000 });
      },
      // The transaction of the append committed; the COMMIT's reply is lost.
      arm: () => proxy.arm((chunk) => chunk.includes(COMMIT)),
      fired: () => proxy.fired,
    },
  });
}
