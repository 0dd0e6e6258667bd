import { expect } from 'vitest';
import { numbered, pullUntil, settled } from './helpers.js';
import type { Suite } from './suite.js';

/** Consumer groups: delivery, ack, start position, reopening. */
export function groupAckCases(suite: Suite): void {
  suite.test(
    'delivers new matching events in position order and never again once acked',
    ['consumerGroups'],
    async (t) => {
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 50 });
      const appended = await t.log.append([...numbered(t.type('a'), 3), { type: t.otherType('skip') }]);
      const deliveries = await pullUntil(group, (all) => all.length >= 3);
      expect(deliveries.map((d) => d.event.position)).toEqual(appended.slice(0, 3).map((r) => r.position));
      expect(deliveries.map((d) => d.deliveryCount)).toEqual([1, 1, 1]);
      expect(deliveries[0]!.event).toEqual(await t.log.get(appended[0]!.id));
      for (const d of deliveries) await d.ack();
      // Several ack waits pass inside this pull: an acked event must not come back.
      expect(await group.pull({ max: 10, waitMs: 250 })).toEqual([]);
      expect(await group.info()).toMatchObject({ pending: 0, lag: 0, deadLetters: 0 });
    },
  );

  suite.test(
    'a new group starts at the end by default; startAt a position or the start replays history',
    ['consumerGroups'],
    async (t) => {
      const types = [t.type('>')];
      const history = await t.log.append(numbered(t.type('a'), 2));
      const fromEnd = await t.log.group(t.name('end'), { types });
      expect(await fromEnd.pull({ max: 10 })).toEqual([]);
      const fromPosition = await t.log.group(t.name('pos'), { types, startAt: history[1]!.position });
      expect((await pullUntil(fromPosition, (all) => all.length >= 1)).map((d) => d.event.data)).toEqual([
        { n: 1 },
      ]);
      const fromStart = await t.log.group(t.name('start'), { types, startAt: 'start' });
      const replayed = await pullUntil(fromStart, (all) => all.length >= 2);
      expect(replayed.map((d) => d.event.data)).toEqual([{ n: 0 }, { n: 1 }]);
      await t.log.append(numbered(t.type('a'), 1, 2));
      expect((await pullUntil(fromEnd, (all) => all.length >= 1)).map((d) => d.event.data)).toEqual([
        { n: 2 },
      ]);
    },
  );

  suite.test('ack is idempotent', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')] });
    await t.log.append(numbered(t.type('a'), 1));
    const [delivery] = await pullUntil(group, (all) => all.length >= 1);
    await delivery!.ack();
    await delivery!.ack();
    expect(await group.info()).toMatchObject({ pending: 0 });
  });

  suite.test('a waiting pull returns an event appended while it waits', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')] });
    const pulling = group.pull({ max: 5, waitMs: 10_000 });
    await t.log.append(numbered(t.type('a'), 1));
    const deliveries = await pulling;
    expect(deliveries.map((d) => d.event.data)).toEqual([{ n: 0 }]);
  });

  suite.test('pull hands out at most max deliveries, oldest first', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')] });
    await t.log.append(numbered(t.type('a'), 5));
    const first = await pullUntil(group, (all) => all.length >= 1, { max: 2 });
    expect(first.map((d) => d.event.data)).toEqual([{ n: 0 }, { n: 1 }]);
    const rest = await pullUntil(group, (all) => all.length >= 3, { max: 10 });
    expect(rest.map((d) => d.event.data)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
  });

  suite.test('pull returns when its signal aborts', ['consumerGroups'], async (t) => {
    const group = await t.log.group(t.name('g'), { types: [t.type('>')] });
    const controller = new AbortController();
    const pulling = group.pull({ waitMs: 20_000, signal: controller.signal }).catch(() => []);
    controller.abort();
    expect(await settled(pulling, 'an aborted pull kept waiting')).toEqual([]);
  });

  suite.test(
    'reopening a group by name returns its state, and groups() lists it',
    ['consumerGroups'],
    async (t) => {
      const name = t.name('g');
      const group = await t.log.group(name, { types: [t.type('>')], ackWaitMs: 60_000 });
      await t.log.append(numbered(t.type('a'), 3));
      const deliveries = await pullUntil(group, (all) => all.length >= 2, { max: 2 });
      await deliveries[0]!.ack();
      const reopened = await t.log.group(name);
      expect(await reopened.info()).toEqual(await group.info());
      expect(await reopened.info()).toMatchObject({ name, pending: 1, lag: 1 });
      expect(await t.log.groups()).toContain(name);
    },
  );

  suite.test(
    'a group has the documented defaults, and a later group() call may change options',
    ['consumerGroups'],
    async (t) => {
      const name = t.name('g');
      const group = await t.log.group(name);
      expect(group.options).toMatchObject({
        ackWaitMs: 30_000,
        maxDeliveries: 5,
        backoff: [1_000, 5_000, 30_000],
      });
      const changed = await t.log.group(name, { maxDeliveries: 2, ackWaitMs: 1_000 });
      expect(changed.options).toMatchObject({ ackWaitMs: 1_000, maxDeliveries: 2 });
    },
  );
}
