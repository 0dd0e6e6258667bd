import { expect } from 'vitest';
import { numbered, pullUntil, readAll } from './helpers.js';
import type { Suite } from './suite.js';

/** What survives closing a log and opening it again (`survivesReopen`). */
export function groupRestartCases(suite: Suite): void {
  suite.test(
    'appended events and stream versions survive a restart',
    ['survivesReopen', 'restart'],
    async (t) => {
      const stream = t.name('s');
      const appended = await t.log.append(numbered(t.type('a'), 3), { stream });
      const log = await t.restart();
      expect((await readAll(log, { stream })).map((e) => e.id)).toEqual(appended.map((r) => r.id));
      expect(await log.streamVersion(stream)).toBe(3);
      const [next] = await log.append(numbered(t.type('a'), 1, 3), { stream });
      expect(next!.position).toBeGreaterThan(appended[2]!.position);
    },
  );

  suite.test(
    'unacked deliveries come back after a restart and acked ones do not',
    ['survivesReopen', 'consumerGroups', 'restart'],
    async (t) => {
      const name = t.name('g');
      const options = { types: [t.type('>')], ackWaitMs: 50 };
      const group = await t.log.group(name, options);
      const appended = await t.log.append(numbered(t.type('a'), 4));
      const deliveries = await pullUntil(group, (all) => all.length >= 4);
      await deliveries[0]!.ack();
      await deliveries[2]!.ack();
      const log = await t.restart();
      const reopened = await log.group(name, options);
      const again = await pullUntil(reopened, (all) => all.length >= 2);
      expect(again.map((d) => d.event.position).sort((a, b) => a - b)).toEqual([
        appended[1]!.position,
        appended[3]!.position,
      ]);
      for (const d of again) await d.ack();
      expect(await reopened.pull({ max: 10, waitMs: 200 })).toEqual([]);
      expect(await reopened.info()).toMatchObject({ pending: 0, lag: 0 });
    },
  );

  suite.test(
    'dead letters and the group cursor survive a restart',
    ['survivesReopen', 'consumerGroups', 'restart'],
    async (t) => {
      const name = t.name('g');
      const options = { types: [t.type('>')], maxDeliveries: 1, ackWaitMs: 60_000 };
      const group = await t.log.group(name, options);
      await t.log.append(numbered(t.type('a'), 2));
      const [failed, done] = await pullUntil(group, (all) => all.length >= 2);
      await failed!.nack({ error: 'boom' });
      await done!.ack();
      const before = await group.info();
      const log = await t.restart();
      expect(await log.groups()).toContain(name);
      const reopened = await log.group(name);
      expect(await reopened.info()).toEqual(before);
      expect((await reopened.deadLetters()).map((d) => [d.event.id, d.error])).toEqual([
        [failed!.event.id, 'boom'],
      ]);
    },
  );
}
