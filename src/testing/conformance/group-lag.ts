import { expect } from 'vitest';
import { numbered, pullUntil } from './helpers.js';
import type { Suite } from './suite.js';

/** `info()`: lag, pending, deliveredPosition, ackedPosition, dead letters. */
export function groupLagCases(suite: Suite): void {
  suite.test(
    'info counts lag and pending, and ackedPosition only passes acked events',
    ['consumerGroups'],
    async (t) => {
      const name = t.name('g');
      const group = await t.log.group(name, { types: [t.type('>')], ackWaitMs: 60_000 });
      const start = await group.info();
      expect(start).toMatchObject({ name, pending: 0, lag: 0, deadLetters: 0 });
      expect(start.ackedPosition).toBe(start.deliveredPosition);
      const appended = await t.log.append([...numbered(t.type('a'), 5), { type: t.otherType('skip') }]);
      const p = appended.map((r) => r.position);
      expect(await group.info()).toMatchObject({ lag: 5, pending: 0 });

      const deliveries = await pullUntil(group, (all) => all.length >= 3, { max: 3 });
      let info = await group.info();
      expect(info).toMatchObject({ lag: 2, pending: 3 });
      expect(info.deliveredPosition).toBeGreaterThanOrEqual(p[2]!);
      expect(info.deliveredPosition).toBeLessThan(p[3]!);
      expect(info.ackedPosition).toBeLessThan(p[0]!);

      await deliveries[0]!.ack();
      info = await group.info();
      expect(info.ackedPosition).toBeGreaterThanOrEqual(p[0]!);
      expect(info.ackedPosition).toBeLessThan(p[1]!);
      await deliveries[2]!.ack();
      expect((await group.info()).ackedPosition).toBeLessThan(p[1]!);
      await deliveries[1]!.ack();
      info = await group.info();
      expect(info).toMatchObject({ pending: 0, lag: 2 });
      expect(info.ackedPosition).toBeGreaterThanOrEqual(p[2]!);

      for (const d of await pullUntil(group, (all) => all.length >= 2)) await d.ack();
      info = await group.info();
      expect(info).toMatchObject({ pending: 0, lag: 0 });
      expect(info.deliveredPosition).toBeGreaterThanOrEqual(p[4]!);
      expect(info.ackedPosition).toBeGreaterThanOrEqual(p[4]!);
    },
  );

  suite.test('a dead letter counts in info and lets ackedPosition pass it', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), {
      types: [t.type('>')],
      maxDeliveries: 1,
      ackWaitMs: 60_000,
    });
    const [appended] = await t.log.append(numbered(t.type('a'), 1));
    const [delivery] = await pullUntil(group, (all) => all.length >= 1);
    await delivery!.nack({ error: 'boom' });
    const info = await group.info();
    expect(info).toMatchObject({ deadLetters: 1, pending: 0, lag: 0 });
    expect(info.ackedPosition).toBeGreaterThanOrEqual(appended!.position);
  });
}
