import { describe, expect, it } from 'vitest';
import { createBroker, UnrecoverableError, type DeliveryContext } from '../index.js';
import { memoryLog } from '../backends/memory/index.js';
import { deferred, waitFor } from '../testing/index.js';

class PaymentError extends Error {
  override name = 'PaymentError';
  code = 'CARD_DECLINED';
}

describe('dead letters with and without a log', () => {
  it('look the same for an in-process subscription and a durable group: { name, message, code? } and the thrown value as cause', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const thrown = new Map<string, unknown>();
    const fail = (e: { type: string; data?: unknown }): never => {
      const error =
        e.data === 'unrecoverable'
          ? new UnrecoverableError('card expired')
          : e.data === 'coded'
            ? new PaymentError('declined by issuer')
            : new TypeError('x is not a function');
      thrown.set(`${e.type}/${String(e.data)}`, error);
      throw error;
    };
    broker.subscribe('mem.>', fail, { name: 'in-memory' });
    broker.subscribe('dur.>', fail, { group: 'durable', durable: true, startAt: 'start' });
    for (const data of ['unrecoverable', 'coded', 'plain']) {
      await broker.publish('mem.pay', data);
      await broker.publish('dur.pay', data);
    }
    await waitFor(async () => (await broker.deadLetters.list()).length === 6);
    const letters = await broker.deadLetters.list();
    const view = (prefix: string): unknown[] =>
      letters
        .filter((d) => d.event.type.startsWith(prefix))
        .map((d) => ({ data: d.event.data, error: d.error, attempts: d.attempts }))
        .sort((a, b) => String(a.data).localeCompare(String(b.data)));
    const expected = [
      {
        data: 'coded',
        error: { name: 'PaymentError', message: 'declined by issuer', code: 'CARD_DECLINED' },
        attempts: 1,
      },
      { data: 'plain', error: { name: 'TypeError', message: 'x is not a function' }, attempts: 1 },
      {
        data: 'unrecoverable',
        error: { name: 'UnrecoverableError', message: 'card expired', code: 'UNRECOVERABLE' },
        attempts: 1,
      },
    ];
    expect(view('mem.')).toEqual(expected);
    expect(view('dur.')).toEqual(expected);
    for (const d of letters) expect(d.cause).toBe(thrown.get(`${d.event.type}/${String(d.event.data)}`));
    await waitFor(() => broker.stats().deadLetters === 6);
    await broker.close();
  });

  it('reads what another process stored from the log (name, message, code) and old plain strings as before', async () => {
    const log = memoryLog();
    const writer = createBroker({ log });
    writer.subscribe(
      'dur.>',
      () => {
        throw new UnrecoverableError('card expired');
      },
      { group: 'durable', durable: true, startAt: 'start' },
    );
    await writer.publish('dur.pay', 1);
    await waitFor(async () => (await writer.deadLetters.list()).length === 1);
    await writer.close();
    // A message string stored by an older version, or by an HTTP member's nack.
    await log.append([{ type: 'dur.old', data: 2 }]);
    const group = await log.group('durable');
    const [old] = await group.pull();
    await old!.nack({ error: 'boom: the old format', deadLetter: true });

    const reader = createBroker({ log });
    reader.subscribe('dur.>', () => undefined, { group: 'durable', durable: true });
    const letters = await reader.deadLetters.list();
    expect(letters.map((d) => [d.event.type, d.error])).toEqual([
      ['dur.pay', { name: 'UnrecoverableError', message: 'card expired', code: 'UNRECOVERABLE' }],
      ['dur.old', { name: 'Error', message: 'boom: the old format' }],
    ]);
    expect(letters[1]!.cause).toBe('boom: the old format');
    await waitFor(() => reader.stats().deadLetters === 2);
    await reader.close();
  });

  it('redrives a durable dead letter with ctx.redelivered true, as it does in memory', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const seen: Pick<DeliveryContext, 'attempt' | 'redelivered'>[] = [];
    const handler = (_e: unknown, ctx: DeliveryContext): void => {
      seen.push({ attempt: ctx.attempt, redelivered: ctx.redelivered });
      if (seen.length === 1) throw new UnrecoverableError('first time');
    };
    broker.subscribe('dur.>', handler, { group: 'durable', durable: true, startAt: 'start' });
    await broker.publish('dur.pay', 1);
    await waitFor(async () => (await broker.deadLetters.list()).length === 1);
    expect(await broker.deadLetters.redrive({ subscription: 'durable' })).toBe(1);
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual([
      { attempt: 1, redelivered: false },
      { attempt: 1, redelivered: true },
    ]);
    await waitFor(() => broker.stats().deadLetters === 0);
    await broker.close();
  });

  it('does not show a remembered cause once the log holds another error for that dead letter', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const blocked = deferred();
    broker.subscribe(
      'dur.>',
      (e) => {
        if (e.type === 'dur.block') return blocked.promise;
        throw new UnrecoverableError('first failure');
      },
      { group: 'durable', durable: true, startAt: 'start' },
    );
    const failed = await broker.publish('dur.pay', 1);
    await waitFor(async () => (await broker.deadLetters.list()).length === 1);
    await broker.publish('dur.block', 2); // keeps this broker's only worker busy
    await waitFor(() => broker.stats().subscriptions[0]!.inFlight === 1);
    // Redriven and failed again elsewhere (the hub, another process), behind this broker's back.
    const group = await log.group('durable');
    await group.redrive([failed.position!]);
    const [again] = await group.pull();
    await again!.nack({ error: 'TimeoutError: second failure', deadLetter: true });
    const [letter] = await broker.deadLetters.list();
    expect(letter).toMatchObject({
      error: { name: 'TimeoutError', message: 'second failure' },
      cause: 'TimeoutError: second failure',
    });
    blocked.resolve();
    await broker.close();
  });
});
