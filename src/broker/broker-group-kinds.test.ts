import { describe, expect, it } from 'vitest';
import { createBroker } from '../index.js';
import { memoryLog } from '../backends/memory/index.js';
import { waitFor } from '../testing/index.js';

describe('the two kinds of group: in-process queue group and durable consumer group', () => {
  it('keeps a group in process with durable: false, even with a log', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const byMember = [0, 0];
    broker.subscribe('job.*', () => void byMember[0]!++, { group: 'workers', durable: false });
    broker.subscribe('job.*', () => void byMember[1]!++, { group: 'workers', durable: false });
    for (let i = 0; i < 4; i++) await broker.publish('job.run', i, { wait: 'handled' });
    expect(byMember).toEqual([2, 2]);
    expect(await log.groups()).toEqual([]);
    expect(broker.stats().subscriptions.map((s) => s.group)).toEqual(['workers', 'workers']);
    await broker.close();
  });

  it('opens the log consumer group with durable: true, and refuses it without a log', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const seen: unknown[] = [];
    const sub = broker.subscribe('job.*', (e) => void seen.push(e.data), {
      group: 'workers',
      durable: true,
      startAt: 'start',
    });
    await sub.ready;
    await broker.publish('job.run', 1);
    await waitFor(() => seen.length === 1);
    expect(await log.groups()).toEqual(['workers']);
    await broker.close();

    const inMemory = createBroker();
    expect(() => inMemory.subscribe('job.*', () => undefined, { group: 'workers', durable: true })).toThrow(
      expect.objectContaining({ code: 'CAPABILITY_NOT_SUPPORTED' }) as Error,
    );
    await inMemory.close();
  });

  it('keeps the old default: with a log, a group without durable is the log consumer group', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    await broker.subscribe('job.*', () => undefined, { group: 'legacy' }).ready;
    expect(await log.groups()).toEqual(['legacy']);
    await broker.close();
  });

  it('refuses durable without a group, and durable responders', async () => {
    const broker = createBroker({ log: memoryLog() });
    expect(() => broker.subscribe('job.*', () => undefined, { durable: true })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        details: expect.objectContaining({ option: 'durable' }),
      }) as Error,
    );
    expect(() => broker.reply('job.*', () => 1, { group: 'svc', durable: true })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        details: expect.objectContaining({ option: 'durable' }),
      }) as Error,
    );
    await broker.close();
  });

  it('consumes through an in-process group with durable: false on a log', async () => {
    const log = memoryLog();
    const broker = createBroker({ log });
    const stream = broker.consume('job.*', { group: 'readers', durable: false });
    await broker.publish('job.run', 'x');
    const first = await stream.next();
    expect(first.value?.data).toBe('x');
    expect(await log.groups()).toEqual([]);
    await stream.close();
    await broker.close();
  });
});
