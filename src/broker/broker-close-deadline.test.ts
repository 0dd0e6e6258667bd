import { describe, expect, it } from 'vitest';
import { createBroker } from '../index.js';
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
});
