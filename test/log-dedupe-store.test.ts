import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { createBroker, logDedupeStore, type Broker, type EventLog } from '../src/index.js';
import { POSTGRES_URL, dropSchemas, postgresUnreachable, uniqueSchema } from './fixtures/postgres-server.js';

// Two brokers stand for two instances, each with its own connection to one durable log: the
// dedupe policy's seen ids live in that log, so a duplicate id is handled once across them.
async function handledOnceAcross(logs: [EventLog, EventLog]): Promise<void> {
  const brokers: Broker[] = logs.map(() => createBroker());
  const handled: string[] = [];
  brokers.forEach((broker, i) =>
    broker.subscribe('pay.>', (e) => void handled.push(`${i}:${e.id}`), {
      name: 'billing', // the key is the subscription's name and the event id
      dedupe: { store: logDedupeStore(logs[i]!, { prefix: 'billing' }) },
    }),
  );
  try {
    for (const id of ['p-1', 'p-2']) {
      for (const broker of [...brokers, brokers[0]!])
        await broker.publish('pay.captured', {}, { id, wait: 'handled' });
    }
    expect(handled).toEqual(['0:p-1', '0:p-2']);
    expect(brokers[1]!.stats().subscriptions[0]!.duplicates).toBe(2);
    // Another prefix is another namespace; the markers are ordinary events of type herald.dedupe.
    expect(await logDedupeStore(logs[0], { prefix: 'other' }).firstSeen('billing\u0000p-1', 1)).toBe(true);
    const markers: unknown[] = [];
    for await (const e of logs[1].read({ from: 'start', types: ['herald.dedupe'] })) markers.push(e.data);
    expect(markers).toHaveLength(3);
  } finally {
    await Promise.all(brokers.map((b) => b.close()));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'herald-log-dedupe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('logDedupeStore', () => {
  it('dedupes across two brokers on one SQLite log', async () => {
    const path = join(dir, 'events.db');
    const logs = [await sqliteLog({ path }), await sqliteLog({ path })] as [EventLog, EventLog];
    try {
      await handledOnceAcross(logs);
    } finally {
      await Promise.all(logs.map((l) => l.close()));
    }
  });
});

const pgUnreachable = await postgresUnreachable();

describe.skipIf(pgUnreachable !== undefined)('logDedupeStore on PostgreSQL', () => {
  it('dedupes across two brokers on one PostgreSQL log', async () => {
    const schema = uniqueSchema('dedupe');
    const first = await postgresLog({ connectionString: POSTGRES_URL, schema });
    const logs = [first, await postgresLog({ connectionString: POSTGRES_URL, schema })] as [
      EventLog,
      EventLog,
    ];
    try {
      await handledOnceAcross(logs);
    } finally {
      await Promise.all(logs.map((l) => l.close()));
      await dropSchemas([schema]);
    }
  });
});
