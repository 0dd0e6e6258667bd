import { describe, expect, it } from 'vitest';
import { createBroker } from '../index.js';
import { memoryLog } from '../backends/memory/index.js';
import { deferred, waitFor } from '../testing/index.js';

describe('close at its deadline', () => {
  it('fails a request still pending at the deadline with BROKER_CLOSED, not HANDLER_FAILED', async () => {
    const broker = createBroker();
    const stuck = deferred();
    broker.reply('quote.get', () => stuck.promise.then(() => 42));
    const asked = broker.request('quote.get', {}, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    const result = await broker.close({ timeoutMs: 20 });
    expect(result.inFlight.map((x) => x.event.type)).toEqual(['quote.get']);
    const error = await asked;
    expect(error).toMatchObject({ name: 'HeraldError', code: 'BROKER_CLOSED' });
    stuck.resolve();
  });

  it('lists a durable handler still running at the deadline in inFlight and aborts its signal', async () => {
    const log = memoryLog();
    const broker = createBroker({ log, onError: () => undefined });
    const stuck = deferred();
    let aborted: unknown;
    broker.subscribe(
      'job.>',
      async (_e, ctx) => {
        ctx.signal.addEventListener('abort', () => void (aborted = ctx.signal.reason as unknown));
        await stuck.promise;
      },
      { group: 'workers', durable: true, name: 'worker-1' },
    );
    await broker.publish('job.run', 'running');
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    const result = await broker.close({ timeoutMs: 20 });
    expect(result.drained).toBe(false);
    expect(result.inFlight.map((x) => [x.subscription, x.event.type, x.event.data])).toEqual([
      ['worker-1', 'job.run', 'running'],
    ]);
    expect(aborted).toMatchObject({ code: 'BROKER_CLOSED' });
    stuck.resolve();
    // Not acked: the event stays in the group and is delivered again after the ack wait.
    const group = await log.group('workers');
    await waitFor(async () => (await group.info()).pending === 1);
    expect(await group.status(1)).toBe('processing');
  });
});
