import { expect } from 'vitest';
import type { GroupPageOptions, GroupPending } from '../../log/types.js';
import { caught, numbered, pullUntil } from './helpers.js';
import type { Suite } from './suite.js';

/** Positions, delivery counts and errors of a pending page, for one comparison. */
const summary = (pending: readonly GroupPending[]) =>
  pending.map((p) => [p.event.position, p.deliveries, p.error ?? null]);

/** Expects `dueAt` to be RFC 3339 and within 15 s of `expectedMs` (the backend's clock may be a server's). */
function expectDueNear(pending: GroupPending, expectedMs: number): void {
  const dueAt = Date.parse(pending.dueAt);
  expect(Number.isNaN(dueAt), `dueAt ${pending.dueAt} is RFC 3339`).toBe(false);
  expect(Math.abs(dueAt - expectedMs), `dueAt ${pending.dueAt}`).toBeLessThan(15_000);
}

/** `pending()`: the deliveries handed out and not yet acked. */
export function groupPendingCases(suite: Suite): void {
  suite.test(
    'pending lists in-hands and nacked deliveries in position order, with counts, last error and when due',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000 });
      const appended = await t.log.append(numbered(t.type('a'), 3));
      const [p1, p2, p3] = appended.map((a) => a.position) as [number, number, number];
      expect(await group.pending()).toEqual([]);
      const deliveries = await pullUntil(group, (all) => all.length >= 3);
      const byPosition = new Map(deliveries.map((d) => [d.event.position, d]));
      const pulledAt = Date.now();
      // The middle one is nacked with a long delay: waiting for redelivery, still pending.
      await byPosition.get(p2)!.nack({ delayMs: 600_000, error: new Error('not yet') });
      const pending = await group.pending();
      expect(pending.map((p) => p.event.id)).toEqual(appended.map((a) => a.id));
      expect(summary(pending)).toEqual([
        [p1, 1, null],
        [p2, 1, expect.stringContaining('not yet')],
        [p3, 1, null],
      ]);
      expectDueNear(pending[0]!, pulledAt + 60_000); // the ack deadline
      expectDueNear(pending[1]!, pulledAt + 600_000); // the nack's delay
      expectDueNear(pending[2]!, pulledAt + 60_000);
      expect(pending[0]!.event.type).toBe(t.type('a'));

      await byPosition.get(p1)!.ack();
      await byPosition.get(p3)!.ack();
      expect(summary(await group.pending())).toEqual([[p2, 1, expect.stringContaining('not yet')]]);
      expect(await group.info()).toMatchObject({ pending: 1 });
    },
  );

  suite.test(
    'pending shows a redelivery with its count and the error of the last nack',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000, backoff: [0] });
      const [appended] = await t.log.append(numbered(t.type('a'), 1));
      const [first] = await pullUntil(group, (all) => all.length >= 1);
      await first!.nack({ error: new Error('first failure') });
      const [second] = await pullUntil(group, (all) => all.length >= 1);
      expect(second!.deliveryCount).toBe(2);
      const redeliveredAt = Date.now();
      const pending = await group.pending();
      expect(summary(pending)).toEqual([[appended!.position, 2, expect.stringContaining('first failure')]]);
      expectDueNear(pending[0]!, redeliveredAt + 60_000);
      await second!.ack();
      expect(await group.pending()).toEqual([]);
    },
  );

  suite.test('pending pages by position with after and limit', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 60_000 });
    const positions = (await t.log.append(numbered(t.type('a'), 5))).map((a) => a.position);
    await pullUntil(group, (all) => all.length >= 5);
    const page = async (options: GroupPageOptions) =>
      (await group.pending(options)).map((p) => p.event.position);
    expect(await page({})).toEqual(positions);
    expect(await page({ limit: 2 })).toEqual(positions.slice(0, 2));
    expect(await page({ limit: 2, after: positions[1]! })).toEqual(positions.slice(2, 4));
    expect(await page({ limit: 2, after: positions[3]! })).toEqual(positions.slice(4));
    expect(await page({ after: positions[4]! })).toEqual([]);
    // `after` need not be a pending position: what is above it.
    expect(await page({ after: positions[2]! - 1 })).toEqual(positions.slice(2));
    expect(await page({ limit: 1_000 })).toEqual(positions);
  });

  suite.test(
    'pending refuses a limit outside 1..1000 or a negative after (INVALID_OPTION)',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')] });
      const bad = [{ limit: 0 }, { limit: 1_001 }, { limit: 1.5 }, { after: -1 }, { after: 0.5 }];
      for (const options of bad) {
        expect(await caught(() => group.pending(options)), JSON.stringify(options)).toMatchObject({
          code: 'INVALID_OPTION',
        });
      }
      expect(await caught(() => group.deadLetters({ after: -1 }))).toMatchObject({ code: 'INVALID_OPTION' });
    },
  );
}
