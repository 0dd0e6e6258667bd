import { expect } from 'vitest';
import { waitFor } from '../wait-for.js';
import { caught, numbered, pullUntil, recordedMs } from './helpers.js';
import type { CaseContext, Suite } from './suite.js';

/** Three events, each delivered once and nacked, dead-lettered at maxDeliveries 1. */
async function threeDead(t: CaseContext) {
  const group = await t.log.group(t.name('g'), { types: [t.type('>')], maxDeliveries: 1, ackWaitMs: 60_000 });
  const appended = await t.log.append(numbered(t.type('a'), 3));
  for (const d of await pullUntil(group, (all) => all.length >= 3)) await d.nack({ error: 'no' });
  await waitFor(async () => (await group.deadLetters()).length === 3);
  return { group, positions: appended.map((r) => r.position) };
}

/** Max deliveries, dead letters, redrive and purge. */
export function groupDeadLettersCases(suite: Suite): void {
  suite.test(
    'after maxDeliveries failed deliveries the event becomes a dead letter with the last error',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), {
        types: [t.type('>')],
        maxDeliveries: 2,
        backoff: [0],
        ackWaitMs: 60_000,
      });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      const [first] = await pullUntil(group, (all) => all.length >= 1);
      await first!.nack({ error: new Error('first failure') });
      const [second] = await pullUntil(group, (all) => all.length >= 1);
      expect(second!.deliveryCount).toBe(2);
      await second!.nack({ error: new Error('second failure') });
      const dead = await group.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]!.event.id).toBe(appended!.id);
      expect(dead[0]!.deliveries).toBe(2);
      expect(dead[0]!.error).toContain('second failure');
      expect(Number.isNaN(Date.parse(dead[0]!.at))).toBe(false);
      expect(await group.info()).toMatchObject({ deadLetters: 1, pending: 0 });
      expect(await group.status(appended!.position)).toBe('failed');
      expect(await group.pull({ max: 10, waitMs: 100 })).toEqual([]);
    },
  );

  suite.test(
    'nack with deadLetter: true dead-letters at once, whatever maxDeliveries',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), {
        types: [t.type('>')],
        maxDeliveries: 5,
        ackWaitMs: 60_000,
      });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      const [first] = await pullUntil(group, (all) => all.length >= 1);
      await first!.nack({ error: new Error('unrecoverable'), deadLetter: true });
      const dead = await group.deadLetters();
      expect(dead.map((d) => [d.event.id, d.deliveries])).toEqual([[appended!.id, 1]]);
      expect(dead[0]!.error).toContain('unrecoverable');
      expect(await group.pull({ max: 10, waitMs: 50 })).toEqual([]);
    },
  );

  suite.test(
    'a delivery never acked becomes a dead letter once maxDeliveries ack waits expire',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], maxDeliveries: 1, ackWaitMs: 30 });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      await pullUntil(group, (all) => all.length >= 1);
      await waitFor(
        async () => {
          expect(await group.pull({ max: 10 })).toEqual([]);
          return (await group.deadLetters()).length === 1;
        },
        { message: 'the expired delivery was not dead-lettered' },
      );
      const [dead] = await group.deadLetters();
      expect(dead).toMatchObject({ deliveries: 1 });
      expect(dead!.event.position).toBe(appended!.position);
    },
  );

  suite.test(
    'redrive puts dead letters back with the count reset, and they can then be acked',
    ['consumerGroups'],
    async (t) => {
      const { group, positions } = await threeDead(t);
      expect(await group.redrive()).toBe(3);
      expect(await group.deadLetters()).toEqual([]);
      const deliveries = await pullUntil(group, (all) => all.length >= 3);
      expect(deliveries.map((d) => [d.event.position, d.deliveryCount])).toEqual(
        positions.map((p) => [p, 1]),
      );
      for (const d of deliveries) await d.ack();
      expect(await group.status(positions[0]!)).toBe('completed');
      expect(await group.info()).toMatchObject({ pending: 0, deadLetters: 0 });
    },
  );

  suite.test(
    'redrive and purge can name positions; purge deletes dead letters for good',
    ['consumerGroups'],
    async (t) => {
      const { group, positions } = await threeDead(t);
      const [p1, p2, p3] = positions as [number, number, number];
      expect(await group.redrive([p1])).toBe(1);
      expect(await group.purge([p2])).toBe(1);
      expect(await group.redrive([p2])).toBe(0);
      expect((await group.deadLetters()).map((d) => d.event.position)).toEqual([p3]);
      expect(await group.purge()).toBe(1);
      expect(await group.deadLetters()).toEqual([]);
      const [redriven] = await pullUntil(group, (all) => all.length >= 1);
      expect(redriven!.event.position).toBe(p1);
    },
  );

  suite.test('deadLetters lists oldest first and honours limit', ['consumerGroups'], async (t) => {
    const { group, positions } = await threeDead(t);
    const dead = await group.deadLetters();
    expect(dead.map((d) => d.event.position)).toEqual(positions);
    expect(dead.map((d) => d.error)).toEqual(['no', 'no', 'no']);
    expect((await group.deadLetters({ limit: 2 })).map((d) => d.event.position)).toEqual(
      positions.slice(0, 2),
    );
    for (const d of dead) expect(recordedMs(d.event)).toBeGreaterThan(0);
  });

  suite.test(
    'deadLetters pages in position order with after, whatever order they died in',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), {
        types: [t.type('>')],
        maxDeliveries: 1,
        ackWaitMs: 60_000,
      });
      const positions = (await t.log.append(numbered(t.type('a'), 4))).map((a) => a.position);
      const deliveries = await pullUntil(group, (all) => all.length >= 4);
      // Dead-lettered last position first: the list is still in position order.
      deliveries.sort((a, b) => b.event.position - a.event.position);
      for (const d of deliveries) await d.nack({ error: `failed ${d.event.position}` });
      await waitFor(async () => (await group.deadLetters()).length === 4);
      const page = async (options: { limit?: number; after?: number }) =>
        (await group.deadLetters(options)).map((d) => d.event.position);
      expect(await page({})).toEqual(positions);
      expect(await page({ after: positions[0]! })).toEqual(positions.slice(1));
      expect(await page({ after: positions[0]!, limit: 2 })).toEqual(positions.slice(1, 3));
      expect(await page({ after: positions[2]!, limit: 2 })).toEqual(positions.slice(3));
      expect(await page({ after: positions[3]! })).toEqual([]);
      expect(await page({ after: 0, limit: 0 })).toEqual([]);
      const [second] = await group.deadLetters({ after: positions[0]!, limit: 1 });
      expect(second).toMatchObject({ deliveries: 1, error: `failed ${positions[1]}` });
      expect(await caught(() => group.deadLetters({ after: 1.5 }))).toMatchObject({ code: 'INVALID_OPTION' });
    },
  );

  suite.test(
    'a redriven dead letter that fails again carries its new error, not the old one, counted afresh',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), {
        types: [t.type('>')],
        maxDeliveries: 2,
        backoff: [0],
        ackWaitMs: 60_000,
      });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      for (const count of [1, 2]) {
        const [d] = await pullUntil(group, (all) => all.length >= 1);
        expect(d!.deliveryCount).toBe(count);
        await d!.nack({ error: new Error('error A') });
      }
      await waitFor(async () => (await group.deadLetters()).length === 1);
      const [before] = await group.deadLetters();
      expect(before).toMatchObject({ deliveries: 2 });
      expect(before!.error).toContain('error A');
      expect(await group.redrive()).toBe(1);
      // Error B on the first failure after the redrive, none on the second: the last error is B.
      const [r1] = await pullUntil(group, (all) => all.length >= 1);
      expect(r1!.deliveryCount).toBe(1);
      await r1!.nack({ error: new Error('error B') });
      const [waiting] = await group.pending();
      expect([waiting!.event.position, waiting!.deliveries]).toEqual([appended!.position, 1]);
      expect(waiting!.error).toContain('error B');
      expect(waiting!.error).not.toContain('error A');
      const [r2] = await pullUntil(group, (all) => all.length >= 1);
      expect(r2!.deliveryCount).toBe(2);
      await r2!.nack();
      await waitFor(async () => (await group.deadLetters()).length === 1);
      const [after] = await group.deadLetters();
      expect(after!.event.position).toBe(appended!.position);
      expect(after!.deliveries).toBe(2);
      expect(after!.error).toContain('error B');
      expect(after!.error).not.toContain('error A');
      expect(await group.info()).toMatchObject({ pending: 0, deadLetters: 1 });
    },
  );
}
