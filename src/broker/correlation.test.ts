import { describe, expect, it } from 'vitest';
import { createBroker, type HeraldEvent } from '../index.js';
import { waitFor } from '../testing/index.js';

describe('correlation', () => {
  it('events published in a handler inherit correlationid and get causationid, across awaits', async () => {
    const broker = createBroker();
    const seen: HeraldEvent[] = [];
    broker.subscribe('order.created', async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      await broker.publish('payment.requested', { order: e.data });
    });
    broker.subscribe('payment.requested', async (e) => {
      await Promise.resolve();
      await broker.publish('payment.captured', {});
      seen.push(e);
    });
    broker.subscribe('payment.captured', (e) => void seen.push(e));
    const root = await broker.publish('order.created', { id: 1 }, { correlationid: 'flow-1' });
    await waitFor(() => seen.length === 2);
    const requested = seen.find((e) => e.type === 'payment.requested')!;
    const captured = seen.find((e) => e.type === 'payment.captured')!;
    expect(requested).toMatchObject({ correlationid: 'flow-1', causationid: root.id });
    expect(captured).toMatchObject({ correlationid: 'flow-1', causationid: requested.id });
  });

  it('uses the parent id as correlationid when the parent had none', async () => {
    const broker = createBroker();
    let child: HeraldEvent | undefined;
    broker.subscribe('a', () => broker.publish('b', null));
    broker.subscribe('b', (e) => void (child = e));
    const root = await broker.publish('a', null);
    await waitFor(() => child);
    expect(child).toMatchObject({ correlationid: root.id, causationid: root.id });
  });

  it('does not leak context to events published outside handlers', async () => {
    const broker = createBroker();
    broker.subscribe('a', () => undefined);
    await broker.publish('a', null, { wait: 'handled' });
    const outside = await broker.publish('a', null);
    expect(outside.correlationid).toBeUndefined();
    expect(outside.causationid).toBeUndefined();
  });

  it('is one context for every broker: a handler publishing through another broker passes it on', async () => {
    // One AsyncLocalStorage per broker made every promise in the process slower for each broker
    // ever created (Node 20 keeps them all); a shared store also carries correlation across.
    const orders = createBroker();
    const billing = createBroker();
    let invoice: HeraldEvent | undefined;
    orders.subscribe('order.created', async () => {
      await Promise.resolve();
      await billing.publish('invoice.requested', null);
    });
    billing.subscribe('invoice.requested', (e) => void (invoice = e));
    const root = await orders.publish('order.created', null, { correlationid: 'flow-9' });
    await waitFor(() => invoice);
    expect(invoice).toMatchObject({ correlationid: 'flow-9', causationid: root.id });
    await Promise.all([orders.close(), billing.close()]);
  });

  it('can be turned off', async () => {
    const broker = createBroker({ correlation: false });
    let child: HeraldEvent | undefined;
    broker.subscribe('a', () => broker.publish('b', null));
    broker.subscribe('b', (e) => void (child = e));
    await broker.publish('a', null);
    await waitFor(() => child);
    expect(child?.causationid).toBeUndefined();
  });
});
