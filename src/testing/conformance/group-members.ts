import { expect } from 'vitest';
import type { GroupDelivery } from '../../log/types.js';
import { numbered } from './helpers.js';
import type { Suite } from './suite.js';

/** Several members of one group. */
export function groupMembersCases(suite: Suite): void {
  suite.test(
    'members pulling concurrently share the work: each event is delivered to one member and acked once',
    ['consumerGroups'],
    async (t) => {
      const name = t.name('g');
      const options = { types: [t.type('>')], ackWaitMs: 60_000 };
      await t.log.group(name, options);
      const total = 200;
      const deliveredTo = new Map<number, number>();
      let acked = 0;
      const deadline = Date.now() + 20_000;
      const member = async (id: number): Promise<void> => {
        const group = await t.log.group(name, options);
        while (acked < total && Date.now() < deadline) {
          for (const d of await group.pull({ max: 7, waitMs: 50 })) {
            expect(deliveredTo.has(d.event.position), `position ${d.event.position} delivered twice`).toBe(
              false,
            );
            deliveredTo.set(d.event.position, id);
            await d.ack();
            acked++;
          }
        }
      };
      const producing = (async () => {
        for (let i = 0; i < total; i += 5) await t.log.append(numbered(t.type('a'), 5, i));
      })();
      await Promise.all([producing, member(1), member(2), member(3), member(4)]);
      expect(acked).toBe(total);
      expect(deliveredTo.size).toBe(total);
      expect(await (await t.log.group(name)).info()).toMatchObject({ pending: 0, lag: 0 });
    },
  );

  suite.test('concurrent pulls never hand out the same event twice', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000 });
    await t.log.append(numbered(t.type('a'), 30));
    const all: GroupDelivery[] = [];
    while (all.length < 30) {
      const batches = await Promise.all(Array.from({ length: 10 }, () => group.pull({ max: 3, waitMs: 50 })));
      all.push(...batches.flat());
    }
    const positions = all.map((d) => d.event.position);
    expect(new Set(positions).size).toBe(30);
    expect(positions).toHaveLength(30);
  });
}
