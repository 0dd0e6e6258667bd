import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { createBroker, RetryLaterError } from '../src/index.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { forkChild } from './helpers/fork-child.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-broker-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const newPath = (): string => join(dir, `group-${++files}.db`);

/** The group's stored types, read without changing them. */
async function storedTypes(log: EventLog, group: string): Promise<readonly string[]> {
  return (await log.group(group)).options.types;
}

/** What `ready` rejected with (undefined when it resolved). */
const refusal = (ready: Promise<void> | undefined): Promise<unknown> =>
  Promise.resolve(ready).then(
    () => undefined,
    (error: unknown) => error,
  );

describe("a durable group's pattern is its creator's", () => {
  it('refuses a second broker on the same SQLite log joining with another pattern, and loses no event of the first', async () => {
    const log = await sqliteLog({ path: newPath(), pollIntervalMs: 20 });
    const a = createBroker({ log, onError: () => undefined });
    const b = createBroker({ log, onError: () => undefined });
    const handledA: string[] = [];
    const handledB: string[] = [];
    try {
      const first = a.subscribe('a.>', (e) => void handledA.push(e.type), {
        group: 'shared',
        durable: true,
        startAt: 'start',
      });
      await first.ready;
      const second = b.subscribe('b.>', (e) => void handledB.push(e.type), {
        group: 'shared',
        durable: true,
      });
      // Soft: the events below show what a member with another pattern would cost.
      expect.soft(await refusal(second.ready)).toMatchObject({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('"a.>"') as unknown,
        details: { option: 'group', group: 'shared', pattern: 'a.>' },
      });
      expect.soft(await storedTypes(log, 'shared')).toEqual(['a.>']);
      const published = [];
      for (const type of ['b.x', 'a.y', 'a.y', 'a.y']) published.push(await a.publish(type, {}));
      await waitFor(() => handledA.length >= 3 || handledB.length > 0, { timeoutMs: 2_000 }).catch(
        () => undefined,
      );
      const group = await log.group('shared');
      for (const e of published.filter((p) => p.type === 'a.y'))
        await waitFor(async () => (await group.status(e.position!)) === 'completed');
      expect(handledA).toEqual(['a.y', 'a.y', 'a.y']);
      expect(handledB).toEqual([]);
      expect(b.stats().subscriptions).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await log.close();
    }
  });

  it('refuses a member with another pattern re-joining after the last member left, while the group holds a retry', async () => {
    const log = await sqliteLog({ path: newPath(), pollIntervalMs: 20 });
    const broker = createBroker({ log, onError: () => undefined });
    const handled: string[] = [];
    try {
      let tries = 0;
      const first = broker.subscribe(
        'a.>',
        (e) => {
          if (++tries === 1) throw new RetryLaterError(300);
          handled.push(`a:${e.type}`);
        },
        { group: 'shared', durable: true, startAt: 'start', retry: { maxAttempts: 3 } },
      );
      await first.ready;
      await broker.publish('a.one', {});
      await waitFor(() => tries === 1);
      await first.unsubscribe();
      const other = broker.subscribe('b.>', (e) => void handled.push(`b:${e.type}`), {
        group: 'shared',
        durable: true,
      });
      expect.soft(await refusal(other.ready)).toMatchObject({ code: 'INVALID_OPTION' });
      expect(await storedTypes(log, 'shared')).toEqual(['a.>']);
      const again = broker.subscribe('a.>', (e) => void handled.push(`a:${e.type}`), {
        group: 'shared',
        durable: true,
        retry: { maxAttempts: 3 },
      });
      await again.ready;
      await waitFor(() => handled.length >= 1, { timeoutMs: 2_000 }).catch(() => undefined);
      expect(handled).toEqual(['a:a.one']);
    } finally {
      await broker.close();
      await log.close();
    }
  });

  it('refuses a second process on the same SQLite file joining with another pattern', async () => {
    const path = newPath();
    const log = await sqliteLog({ path, pollIntervalMs: 20 });
    const broker = createBroker({ log, onError: () => undefined });
    const handled: string[] = [];
    type Answer = { refused: boolean; code?: string; message?: string; handled?: string[] };
    const sub = broker.subscribe('a.>', (e) => void handled.push(e.type), {
      group: 'shared',
      durable: true,

      startAt: 'start',
    });
    await sub.ready;
    const child = forkChild<Answer>(new URL('./fixtures/broker-group-pattern-child.ts', import.meta.url), {
      path,
      group: 'shared',
      durable: true,
      pattern: 'b.>',
    });
    try {
      const joined = await child.next();
      expect(joined).toMatchObject({ refused: true, code: 'INVALID_OPTION' });
      expect(joined.message).toContain('"a.>"');
      expect(await storedTypes(log, 'shared')).toEqual(['a.>']);
      for (const type of ['b.x', 'a.y', 'a.y', 'a.y']) await broker.publish(type, {});
      await waitFor(() => handled.length === 3);
      expect(handled).toEqual(['a.y', 'a.y', 'a.y']);
      expect((await child.request({ type: 'report' })).handled).toEqual([]);
    } finally {
      await child.stop();
      await broker.close();
      await log.close();
    }
  }, 30_000);

  it('stops a member whose group was retargeted in the log before it handles an event of another pattern', async () => {
    const log = await sqliteLog({ path: newPath(), pollIntervalMs: 20 });
    const errors: unknown[] = [];
    const broker = createBroker({ log, onError: (error) => void errors.push(error) });
    const handled: string[] = [];
    try {
      const sub = broker.subscribe('a.>', (e) => void handled.push(e.type), {
        group: 'shared',
        durable: true,
        startAt: 'start',
      });
      await sub.ready;
      await log.group('shared', { types: ['b.>'] }); // e.g. another creator won a race
      await broker.publish('b.x', {});
      await waitFor(() => broker.stats().subscriptions.length === 0);
      expect(handled).toEqual([]);
      expect(errors).toContainEqual(expect.objectContaining({ code: 'INVALID_OPTION' }));
    } finally {
      await broker.close();
      await log.close();
    }
  });
});
