import { describe, expect, it } from 'vitest';
import { createBroker, type HeraldEvent } from '../index.js';
import { waitFor } from '../testing/index.js';

describe('consume', () => {
  it('iterates matching events in order with for await', async () => {
    const broker = createBroker();
    const stream = broker.consume('tick.*');
    for (let i = 0; i < 5; i++) await broker.publish('tick.n', i);
    await broker.publish('tock.n', 'ignored');
    const got: unknown[] = [];
    for await (const e of stream) {
      got.push(e.data);
      if (got.length === 5) break;
    }
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await waitFor(() => broker.stats().subscriptions.length === 0, { message: 'break did not unsubscribe' });
  });

  it('buffers at most bufferSize events and then blocks publishers', async () => {
    const broker = createBroker();
    const stream = broker.consume('b', { bufferSize: 2 });
    await broker.publish('b', 0); // offered to the reader
    await broker.publish('b', 1);
    await broker.publish('b', 2);
    let accepted = false;
    const fourth = broker.publish('b', 3).then(() => (accepted = true));
    await new Promise((r) => setImmediate(r));
    expect(accepted).toBe(false);
    const first = await stream.next();
    expect(first.value?.data).toBe(0);
    await fourth;
    const rest: HeraldEvent[] = [];
    for (let i = 0; i < 3; i++) rest.push((await stream.next()).value);
    expect(rest.map((e) => e.data)).toEqual([1, 2, 3]);
    await stream.close();
  });

  it('ends when its signal aborts', async () => {
    const broker = createBroker();
    const ac = new AbortController();
    const stream = broker.consume('x', { signal: ac.signal });
    const pending = stream.next();
    ac.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
