import { expect } from 'vitest';
import { waitFor } from '../wait-for.js';
import { numbered, pullUntil } from './helpers.js';
import type { Suite } from './suite.js';

/** `status(position)`: the lifecycle of one event in one group. */
export function groupStatusCases(suite: Suite): void {
  suite.test(
    'status goes pending, then processing while delivered, then completed once acked',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000 });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      const position = appended!.position;
      expect(await group.status(position)).toBe('pending');
      const [delivery] = await pullUntil(group, (all) => all.length >= 1);
      expect(await group.status(position)).toBe('processing');
      await delivery!.ack();
      expect(await group.status(position)).toBe('completed');
    },
  );

  suite.test(
    'status is pending again once a redelivery is due, and failed once dead-lettered',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 30, maxDeliveries: 2 });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      const position = appended!.position;
      await pullUntil(group, (all) => all.length >= 1);
      await waitFor(async () => (await group.status(position)) === 'pending', {
        message: 'never became due',
      });
      const [again] = await pullUntil(group, (all) => all.length >= 1);
      expect(await group.status(position)).toBe('processing');
      await again!.nack({ error: 'boom' });
      expect(await group.status(position)).toBe('failed');
    },
  );

  suite.test(
    'status is undefined for a missing position or an event the group does not take',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')] });
      const [other] = await t.log.append([{ type: t.otherType('skip') }]);
      expect(await group.status(other!.position)).toBeUndefined();
      expect(await group.status(Number.MAX_SAFE_INTEGER)).toBeUndefined();
    },
  );
}
