import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import { waitFor } from '../src/testing/index.js';
import { holdServer } from './fixtures/postgres-server-lock.js';
import { POSTGRES_URL, dropSchemas, postgresUnreachable } from './fixtures/postgres-server.js';
import { startHubProcess, stopHubProcess, type HubProcess } from './helpers/hub-process.js';
import { openSse, type SseStream } from './helpers/sse-stream.js';

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
    const a = hubs[0]!;
    const b = hubs[1]!;
    const stream: SseStream = await openSse(`${b.base}/v1/sse?types=hubs.>&from=start`);
    try {
      const positions: number[] = [];
      for (let i = 0; i < 30; i++) {
        const target = i % 3 === 0 ? b : a; // mostly through A, some through B
        const res = await fetch(`${target.base}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'hubs.tick', data: { i } }),
        });
        expect(res.status).toBe(201);
        positions.push(((await res.json()) as { events: { position: number }[] }).events[0]!.position);
      }
      await waitFor(() => stream.events.filter((e) => e.type === 'hubs.tick').length >= 30, {
        timeoutMs: 20_000,
      });
      const got = stream.events.filter((e) => e.type === 'hubs.tick').map((e) => Number(e.lastEventId));
      expect(got).toEqual([...positions].sort((x, y) => x - y));
      expect(new Set(got).size).toBe(30);
      const data = stream.events.map((e) => (JSON.parse(e.data) as { data: { i: number } }).data.i);
      expect(new Set(data).size).toBe(30);
    } finally {
      stream.close();
    }
  });

  it('answers queries on either hub from the same log', async () => {
    const a = hubs[0]!;
    const b = hubs[1]!;
    const [fromA = [], fromB = []] = await Promise.all(
      [a, b].map(async (h) => {
        const res = await fetch(`${h.base}/v1/events?types=hubs.>&limit=1000`);
        return ((await res.json()) as { events: { id: string }[] }).events.map((e) => e.id);
      }),
    );
    expect(fromA.length).toBeGreaterThanOrEqual(30);
    expect(fromB).toEqual(fromA);
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
      const byMember = [0, 0];
      const drain = async (group: typeof g1, member: number) => {
        for (;;) {
          const deliveries = await group.pull({ max: 4, waitMs: 200 });
          if (deliveries.length === 0) return;
          for (const d of deliveries) {
            handled.push(d.event.position);
            byMember[member]!++;
            await d.ack();
          }
        }
      };
      await Promise.all([drain(g1, 0), drain(g2, 1)]);
      expect(handled.length).toBeGreaterThanOrEqual(30);
      expect(new Set(handled).size).toBe(handled.length);
      expect((await g1.info()).lag).toBe(0);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
