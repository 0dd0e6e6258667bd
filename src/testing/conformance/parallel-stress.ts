import { expect } from 'vitest';
import { numbered } from './helpers.js';
import type { Suite } from './suite.js';

const PRODUCERS = 20;
// Batches of 1 to 5 events, 30 events per producer.
const BATCH_SIZES = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5];
const TOTAL = PRODUCERS * BATCH_SIZES.reduce((a, b) => a + b, 0);

/** Many producers and two group members at once. */
export function parallelStressCases(suite: Suite): void {
  suite.test(
    `${PRODUCERS} producers and 2 group members: every event is delivered and acked exactly once`,
    ['consumerGroups'],
    async (t) => {
      const name = t.name('g');
      const options = { types: [t.type('>')], ackWaitMs: 60_000 };
      await t.log.group(name, options);
      const ids = new Set<string>();
      const acks = new Map<string, number>();
      const deadline = Date.now() + 25_000;
      const producer = async (p: number): Promise<void> => {
        for (const [b, size] of BATCH_SIZES.entries()) {
          for (const r of await t.log.append(numbered(t.type(`p${p}`), size, b * 10))) ids.add(r.id);
        }
      };
      const member = async (): Promise<void> => {
        const group = await t.log.group(name, options);
        while (acks.size < TOTAL && Date.now() < deadline) {
          const deliveries = await group.pull({ max: 16, waitMs: 50 });
          await Promise.all(
            deliveries.map(async (d) => {
              await d.ack();
              acks.set(d.event.id, (acks.get(d.event.id) ?? 0) + 1);
            }),
          );
        }
      };
      await Promise.all([...Array.from({ length: PRODUCERS }, (_, p) => producer(p)), member(), member()]);
      expect(ids.size).toBe(TOTAL);
      expect(acks.size).toBe(TOTAL);
      for (const id of ids) expect(acks.get(id), id).toBe(1);
      expect(await (await t.log.group(name)).info()).toMatchObject({ pending: 0, lag: 0 });
    },
  );
}
