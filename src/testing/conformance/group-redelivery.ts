import { expect } from 'vitest';
import { waitFor } from '../wait-for.js';
import { numbered, pullUntil } from './helpers.js';
import type { Suite } from './suite.js';

/** Redelivery of deliveries not acked within `ackWaitMs`. */
export function groupRedeliveryCases(suite: Suite): void {
  suite.test(
    'an unacked delivery comes back after ackWaitMs with deliveryCount 2',
    ['consumerGroups'],
    async (t) => {
      // 200 ms rather than a few ms: on a loaded 2-core CI machine a 50 ms ack wait could expire
      // twice before the second pull reached JetStream (seen twice in about 20 runs on NATS).
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 200 });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      const [first] = await pullUntil(group, (all) => all.length >= 1);
      expect(first!.deliveryCount).toBe(1);
      const [again] = await pullUntil(group, (all) => all.length >= 1);
      expect(again!.event.id).toBe(appended!.id);
      expect(again!.deliveryCount).toBe(2);
      await again!.ack();
    },
  );

  suite.test(
    'each expiry counts: deliveryCount grows by one per redelivery',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), {
        types: [t.type('>')],
        ackWaitMs: 30,
        maxDeliveries: 10,
      });
      await t.log.append(numbered(t.type('a'), 1));
      const deliveries = await pullUntil(group, (all) => all.length >= 3);
      expect(deliveries.map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
      await deliveries[2]!.ack();
    },
  );

  suite.test('an ack of a delivery redelivered meanwhile fails nothing', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 50 });
    await t.log.append(numbered(t.type('a'), 1));
    const [stale] = await pullUntil(group, (all) => all.length >= 1);
    const [current] = await pullUntil(group, (all) => all.length >= 1);
    await stale!.ack();
    await current!.ack();
    expect(await group.info()).toMatchObject({ pending: 0 });
  });

  suite.test('redeliveries that are due come before new events', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 50 });
    const [old] = await t.log.append(numbered(t.type('a'), 1));
    await pullUntil(group, (all) => all.length >= 1);
    const [fresh] = await t.log.append(numbered(t.type('a'), 1, 1));
    await waitFor(async () => (await group.status(old!.position)) === 'pending', {
      message: 'the unacked delivery did not become due',
    });
    const deliveries = await pullUntil(group, (all) => all.length >= 2, { max: 2 });
    expect(deliveries.map((d) => [d.event.position, d.deliveryCount])).toEqual([
      [old!.position, 2],
      [fresh!.position, 1],
    ]);
  });
}
