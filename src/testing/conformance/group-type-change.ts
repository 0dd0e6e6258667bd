import { expect } from 'vitest';
import type { GroupDelivery } from '../../log/types.js';
import { elapsed, pullUntil } from './helpers.js';
import type { Suite } from './suite.js';

/**
 * A group re-opened with other `types` (a later `log.group(name, options)` call may change them):
 * redeliveries honour the current types, and pending events that no longer match leave the group
 * as if acked (they are no longer its events).
 */
export function groupTypeChangeCases(suite: Suite): void {
  suite.test(
    'after its types change a group never redelivers a pending event that no longer matches',
    ['consumerGroups'],
    async (t) => {
      const name = t.name('billing');
      const ackWaitMs = 100;
      const group = await t.log.group(name, { types: [t.type('payments.>')], ackWaitMs });
      const [payment] = await t.log.append([{ type: t.type('payments.captured'), data: 1 }]);
      const [taken] = await pullUntil(group, (all) => all.length >= 1);
      expect(taken!.event.id).toBe(payment!.id);
      const since = Date.now();
      const reopened = await t.log.group(name, { types: [t.type('orders.>')] });
      expect(reopened.options.types).toEqual([t.type('orders.>')]);
      // No longer the group's: it counts as done, not as pending or lag.
      expect(await reopened.info()).toMatchObject({ pending: 0, lag: 0, ackedPosition: payment!.position });
      const [order] = await t.log.append([{ type: t.type('orders.created'), data: 2 }]);
      // The payment's ack wait has passed: were it still pending it would be due now, and due
      // redeliveries come before new events.
      await elapsed(since, ackWaitMs * 2);
      const seen: GroupDelivery[] = await pullUntil(reopened, (all) =>
        all.some((d) => d.event.id === order!.id),
      );
      expect(seen.map((d) => d.event.id)).toEqual([order!.id]);
      await seen[0]!.ack();
      expect(await group.pull({ max: 10, waitMs: ackWaitMs })).toEqual([]);
      await taken!.ack(); // a late ack of the old delivery fails nothing
      expect(await reopened.info()).toMatchObject({
        ackedPosition: order!.position,
        deliveredPosition: order!.position,
        pending: 0,
        lag: 0,
        deadLetters: 0,
      });
      expect(await reopened.status(payment!.position)).toBeUndefined();
    },
  );

  suite.test(
    'a pending event that still matches the new types stays pending and is redelivered',
    ['consumerGroups'],
    async (t) => {
      const name = t.name('g');
      const group = await t.log.group(name, { types: [t.type('a.>')], ackWaitMs: 100 });
      const [kept] = await t.log.append([{ type: t.type('a.x'), data: 1 }]);
      await pullUntil(group, (all) => all.length >= 1);
      const reopened = await t.log.group(name, { types: [t.type('a.x'), t.type('b.>')] });
      expect(await reopened.info()).toMatchObject({ pending: 1 });
      const [again] = await pullUntil(reopened, (all) => all.length >= 1);
      expect([again!.event.id, again!.deliveryCount]).toEqual([kept!.id, 2]);
      await again!.ack();
      expect(await reopened.info()).toMatchObject({ pending: 0, ackedPosition: kept!.position });
    },
  );

  suite.test(
    'a dead letter redriven after the types changed is not delivered if they no longer match',
    ['consumerGroups'],
    async (t) => {
      const name = t.name('g');
      const group = await t.log.group(name, { types: [t.type('a.>')], ackWaitMs: 100 });
      const [dead] = await t.log.append([{ type: t.type('a.x'), data: 1 }]);
      const [first] = await pullUntil(group, (all) => all.length >= 1);
      await first!.nack({ deadLetter: true, error: 'boom' });
      const reopened = await t.log.group(name, { types: [t.type('b.>')] });
      expect((await reopened.deadLetters()).map((d) => d.event.id)).toEqual([dead!.id]);
      expect(await reopened.redrive()).toBe(1);
      const [other] = await t.log.append([{ type: t.type('b.y'), data: 2 }]);
      const seen = await pullUntil(reopened, (all) => all.some((d) => d.event.id === other!.id));
      expect(seen.map((d) => d.event.id)).toEqual([other!.id]);
      await seen[0]!.ack();
      expect(await reopened.info()).toMatchObject({ pending: 0, deadLetters: 0, lag: 0 });
    },
  );
}
