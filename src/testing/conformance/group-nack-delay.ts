import { expect } from 'vitest';
import { numbered, pullUntil } from './helpers.js';
import type { Suite } from './suite.js';

/** `nack`: redelivery after a delay, the group's backoff. */
export function groupNackDelayCases(suite: Suite): void {
  suite.test(
    'a nacked delivery comes back after its delay with deliveryCount 2',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000 });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      const [first] = await pullUntil(group, (all) => all.length >= 1);
      await first!.nack({ delayMs: 20, error: new Error('try again') });
      const [again] = await pullUntil(group, (all) => all.length >= 1);
      expect(again!.event.id).toBe(appended!.id);
      expect(again!.deliveryCount).toBe(2);
      await again!.ack();
      expect(await group.info()).toMatchObject({ pending: 0 });
    },
  );

  suite.test('a nack without a delay waits for the group backoff', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000, backoff: [20] });
    expect(group.options.backoff).toEqual([20]);
    await t.log.append(numbered(t.type('a'), 1));
    const [first] = await pullUntil(group, (all) => all.length >= 1);
    await first!.nack();
    const [again] = await pullUntil(group, (all) => all.length >= 1);
    expect(again!.deliveryCount).toBe(2);
    await again!.ack();
  });

  suite.test(
    'a long nack delay holds that event back while the others keep flowing',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000 });
      const appended = await t.log.append(numbered(t.type('a'), 2));
      const [first] = await pullUntil(group, (all) => all.length >= 1, { max: 1 });
      expect(first!.event.position).toBe(appended[0]!.position);
      await first!.nack({ delayMs: 60_000 });
      const next = await pullUntil(group, (all) => all.length >= 1, { max: 10 });
      expect(next.map((d) => d.event.position)).toEqual([appended[1]!.position]);
      expect(await group.pull({ max: 10, waitMs: 100 })).toEqual([]);
      expect(await group.info()).toMatchObject({ pending: 2, lag: 0 });
    },
  );
}
