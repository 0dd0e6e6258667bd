import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import { holdServer } from './fixtures/postgres-server-lock.js';
import { POSTGRES_URL, dropSchemas, postgresUnreachable } from './fixtures/postgres-server.js';
import {
  expectSameQueries,
  expectStreamedAcrossHubs,
  startHubProcess,
  stopHubProcess,
  type HubProcess,
} from './helpers/hub-process.js';

// Two `herald serve` processes, as a user runs them, on one PostgreSQL log: what is published
// through one hub is streamed by the other, in position order, because live delivery follows the
// shared log and not the request that published.
const unreachable = await postgresUnreachable();
const schema = `herald_hubs_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const hubs: HubProcess[] = [];
const startHub = () => startHubProcess(POSTGRES_URL, { HERALD_POSTGRES__SCHEMA: schema });
const stop = stopHubProcess;

describe.skipIf(unreachable !== undefined)('two hubs on one PostgreSQL log', () => {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    // The restart test must not restart the server under these hubs.
    release = await holdServer();
    // Two processes starting at once run the migrations concurrently: they must both come up.
    hubs.push(...(await Promise.all([startHub(), startHub()])));
  }, 120_000);
  afterAll(async () => {
    const codes = await Promise.all(hubs.map((h) => stop(h.child)));
    await dropSchemas([schema]);
    await release?.();
    expect(codes).toEqual(hubs.map(() => 0));
  });

  it('streams on one hub, in position order, what is published through the other', async () => {
    await expectStreamedAcrossHubs(hubs[0]!, hubs[1]!, 30);
  });

  it('answers queries on either hub from the same log', async () => {
    await expectSameQueries(hubs, 30);
  });

  it('shares a consumer group between processes: each event is handled once while both are healthy', async () => {
    // Two logs in this process stand for two services on the hubs' database.
    const [one, two] = await Promise.all([
      postgresLog({ connectionString: POSTGRES_URL, schema }),
      postgresLog({ connectionString: POSTGRES_URL, schema }),
    ]);
    try {
      const g1 = await one.group('billing', { types: ['hubs.>'], startAt: 'start' });
      const g2 = await two.group('billing', { types: ['hubs.>'] });
      const handled: number[] = [];
      const drain = async (group: typeof g1) => {
        for (;;) {
          const deliveries = await group.pull({ max: 4, waitMs: 200 });
          if (deliveries.length === 0) return;
          for (const d of deliveries) {
            handled.push(d.event.position);
            await d.ack();
          }
        }
      };
      await Promise.all([drain(g1), drain(g2)]);
      expect(handled.length).toBeGreaterThanOrEqual(30);
      expect(new Set(handled).size).toBe(handled.length);
      expect((await g1.info()).lag).toBe(0);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
