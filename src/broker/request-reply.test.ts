import { describe, expect, it } from 'vitest';
import { createBroker, HandlerFailedError } from '../index.js';
import { deferred } from '../testing/index.js';

describe('request and reply', () => {
  it("resolves with the responder's return value", async () => {
    const broker = createBroker<{ 'math.add': { a: number; b: number } }, { 'math.add': number }>();
    broker.reply('math.*', (e) => e.data.a + e.data.b);
    const sum: number = await broker.request('math.add', { a: 2, b: 3 });
    expect(sum).toBe(5);
  });

  it('takes the first reply when several responders answer', async () => {
    const broker = createBroker();
    const slow = deferred<string>();
    broker.reply('q', () => slow.promise);
    broker.reply('q', async () => 'fast');
    expect(await broker.request('q', null)).toBe('fast');
    slow.resolve('late');
  });

  it('fails at once with NO_RESPONDERS when nobody replies to the type', async () => {
    const broker = createBroker();
    broker.subscribe('q', () => undefined); // a plain subscriber is not a responder
    await expect(broker.request('q', null, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: 'NO_RESPONDERS',
    });
  });

  it('fails with REQUEST_TIMEOUT when no reply comes in time', async () => {
    const broker = createBroker();
    const never = deferred<string>();
    broker.reply('q', () => never.promise);
    await expect(broker.request('q', null, { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'REQUEST_TIMEOUT',
    });
    never.resolve('late');
  });

  it('fails with the responders’ errors when every responder throws', async () => {
    const broker = createBroker();
    broker.reply(
      'q',
      () => {
        throw new Error('cannot answer');
      },
      { name: 'r1' },
    );
    const err: unknown = await broker.request('q', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandlerFailedError);
    expect((err as HandlerFailedError).failures[0]).toMatchObject({ subscription: 'r1' });
  });

  it('load-balances responders in a queue group', async () => {
    const broker = createBroker();
    const calls = [0, 0];
    broker.reply('q', () => ++calls[0]!, { group: 'svc' });
    broker.reply('q', () => ++calls[1]!, { group: 'svc' });
    for (let i = 0; i < 10; i++) await broker.request('q', i);
    expect(calls[0]! + calls[1]!).toBe(10);
    expect(calls[0]).toBeGreaterThan(0);
    expect(calls[1]).toBeGreaterThan(0);
  });
});
