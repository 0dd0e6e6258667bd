import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisLog } from '../src/backends/redis/index.js';
import { LogKeys } from '../src/backends/redis/keys.js';
import type { RedisContext } from '../src/backends/redis/log-context.js';
import { RedisScheduleStore } from '../src/backends/redis/schedule-store.js';
import { ScriptRunner } from '../src/backends/redis/scripts.js';
import { HeraldError } from '../src/errors/index.js';
import type { HeraldEvent } from '../src/event/types.js';
import type { ScheduleEntry } from '../src/log/kit/schedule.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { startCuttingProxy, type CuttingProxy } from './fixtures/cutting-proxy.js';
import {
  deletePrefixes,
  REDIS_URL,
  redisUnreachable,
  testClient,
  uniquePrefix,
} from './fixtures/redis-server.js';
import { holdRedis } from './fixtures/redis-server-lock.js';

const unreachable = await redisUnreachable();

function entry(id: string, dueAt: number, stream?: string): ScheduleEntry {
  const event: HeraldEvent = { specversion: '1.0', id, source: '/test', type: 't.sched', data: { id } };
  return { id, dueAt, event, stream };
}

async function has(log: EventLog, id: string): Promise<boolean> {
  return (await log.get(id)) !== undefined;
}

describe('redis schedule store', () => {
  if (unreachable !== undefined) {
    it.skip(`needs Redis: ${unreachable}`, () => undefined);
    return;
  }
  const prefixes: string[] = [];
  let client: Redis;
  let release: () => Promise<void>;
  let proxy: CuttingProxy;

  /** A store on a prefix of its own, on a bare context (scripts and keys, no log). */
  async function store(): Promise<{ store: RedisScheduleStore; keys: LogKeys }> {
    const prefix = uniquePrefix('sched');
    prefixes.push(prefix);
    const runner = new ScriptRunner(client);
    await runner.load();
    const keys = new LogKeys(prefix);
    const ctx = {
      client,
      keys,
      options: { retryTimeoutMs: 1_000 },
      script: (name: never, k: readonly string[], args: readonly (string | number)[]) =>
        runner.run(name, k, args),
    } as unknown as RedisContext;
    return { store: new RedisScheduleStore(ctx, () => client.duplicate()), keys };
  }

  beforeAll(async () => {
    release = await holdRedis();
    client = testClient();
    await client.connect();
    proxy = await startCuttingProxy(REDIS_URL);
  });
  afterAll(async () => {
    await proxy.close();
    client.disconnect();
    await deletePrefixes(prefixes);
    await release();
  });

  it('adds all or reports the pending original; claims due entries in (due, id) order', async () => {
    const { store: s } = await store();
    const t = 1_000_000;
    expect(await s.add([entry('b', t), entry('a', t), entry('c', t + 10)])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    // A pending id and an id repeated in the batch: the first copy's due time.
    expect(await s.add([entry('a', t + 99), entry('d', t + 5), entry('d', t + 7)])).toEqual([
      t,
      undefined,
      t + 5,
    ]);
    expect(await s.nextDue()).toBe(t);
    expect(await s.claim(t - 1, 10, 100)).toEqual([]);
    const first = await s.claim(t + 5, 2, 100);
    expect(first.map((e) => e.id)).toEqual(['a', 'b']);
    expect(first[0]).toEqual(entry('a', t));
    // Taken is for good: no cancel; still listed.
    expect(await s.cancel('a')).toBe(false);
    expect((await s.list(10, undefined)).map((e) => e.id)).toEqual(['a', 'b', 'd', 'c']);
    expect(await s.nextDue()).toBe(t + 5);
    expect((await s.claim(t + 5, 10, 100)).map((e) => e.id)).toEqual(['d']);
    // The leases of a and b (t + 105) run out first: they come back before c.
    expect(await s.nextDue()).toBe(t + 10);
    expect((await s.claim(t + 10, 10, 1_000)).map((e) => e.id)).toEqual(['c']);
    expect(await s.nextDue()).toBe(t + 105);
    await s.complete(['d', 'c']);
    expect((await s.claim(t + 105, 10, 1_000)).map((e) => e.id)).toEqual(['a', 'b']);
    await s.complete(['a', 'b', 'a']);
    expect(await s.nextDue()).toBeUndefined();
    expect(await s.list(10, undefined)).toEqual([]);
  });

  it('cancels only untaken entries; keeps the stream', async () => {
    const { store: s } = await store();
    await s.add([entry('x', 50, 'orders'), entry('y', 60)]);
    expect(await s.cancel('x')).toBe(true);
    expect(await s.cancel('x')).toBe(false);
    expect(await s.cancel('nope')).toBe(false);
    const [y] = await s.claim(100, 10, 1_000);
    expect(y).toEqual(entry('y', 60));
    await s.add([entry('z', 70, 'orders')]);
    expect((await s.list(10, undefined))[1]).toEqual(entry('z', 70, 'orders'));
  });

  it('pages in (due, id) order from any cursor, one that is gone included', async () => {
    const { store: s } = await store();
    const all: ScheduleEntry[] = [];
    for (let i = 0; i < 60; i++)
      all.push(entry(`id-${String((i * 37) % 60).padStart(2, '0')}`, 1_000 + (i % 4) * 10));
    await s.add(all);
    const sorted = [...all].sort((a, b) => a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const seen: string[] = [];
    let after: ScheduleEntry | undefined;
    for (;;) {
      const page = await s.list(7, after);
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.id));
      after = page.at(-1);
    }
    expect(seen).toEqual(sorted.map((e) => e.id));
    // A cursor whose entry was cancelled since, and one between ids.
    const gone = sorted[20]!;
    expect(await s.cancel(gone.id)).toBe(true);
    expect((await s.list(3, gone)).map((e) => e.id)).toEqual(sorted.slice(21, 24).map((e) => e.id));
    const between = { dueAt: sorted[30]!.dueAt, id: `${sorted[30]!.id}~` };
    expect((await s.list(2, between)).map((e) => e.id)).toEqual(sorted.slice(31, 33).map((e) => e.id));
    expect(await s.list(5, { dueAt: 99_999, id: 'a' })).toEqual([]);
  });

  it('wakes another process mover at the due time (watch), not at its poll', async () => {
    const prefix = uniquePrefix('sched-watch');
    prefixes.push(prefix);
    const scheduler = await redisLog({ url: REDIS_URL, prefix, scheduler: { move: false } });
    const mover = await redisLog({ url: REDIS_URL, prefix, scheduler: { pollMs: 60_000 } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100)); // the mover's first look found nothing
      const [s] = await scheduler.schedule([{ type: 't.watch', data: {} }], { delayMs: 300 });
      const due = Date.parse(s!.deliverAt);
      await waitFor(() => has(mover, s!.id), { timeoutMs: 5_000 });
      const late = Date.now() - due;
      expect(late).toBeLessThan(1_000);
      expect(late).toBeGreaterThanOrEqual(0);
    } finally {
      await scheduler.close();
      await mover.close();
    }
  });

  it('a schedule, claim or cancel whose reply was lost answers what it did', async () => {
    const prefix = uniquePrefix('sched-cut');
    prefixes.push(prefix);
    const log = await redisLog({
      url: `redis://${proxy.host}:${proxy.port}`,
      prefix,
      retryTimeoutMs: 10_000,
      scheduler: { leaseMs: 60_000 },
    });
    try {
      // A call of one script: its hash is in the request.
      const calls = (name: string) => {
        const text = readFileSync(new URL(`../src/backends/redis/lua/${name}.lua`, import.meta.url), 'utf8');
        const sha = createHash('sha1').update(text).digest('hex');
        return (chunk: Buffer): boolean => chunk.toString('latin1').includes(sha);
      };
      proxy.arm(calls('schedule-add'));
      const [kept, gone] = await log.schedule(
        [
          { type: 't.cut', data: { n: 1 } },
          { type: 't.cut', data: { n: 2 } },
        ],
        { delayMs: 1_500 },
      );
      expect(proxy.fired).toBe(true);
      expect([kept!.duplicate, gone!.duplicate]).toEqual([false, false]);
      proxy.arm(calls('schedule-cancel'));
      expect(await log.cancelScheduled(gone!.id)).toBe(true);
      expect(proxy.fired).toBe(true);
      // The claim once the event is due: it was taken; the retry hands it over all the same
      // (not 60 s later, when its lease would run out).
      const due = Date.parse(kept!.deliverAt);
      const claim = calls('schedule-claim');
      proxy.arm((chunk) => Date.now() >= due && claim(chunk));
      await waitFor(() => has(log, kept!.id), { timeoutMs: 8_000 });
      expect(proxy.fired).toBe(true);
      expect(await has(log, gone!.id)).toBe(false);
      expect(await log.scheduled()).toEqual([]);
    } finally {
      await log.close();
    }
  });

  it('fails with LOG_UNREACHABLE after the retry budget while the server is away', async () => {
    const prefix = uniquePrefix('sched-away');
    prefixes.push(prefix);
    const away = await startCuttingProxy(REDIS_URL);
    const log = await redisLog({ url: `redis://${away.host}:${away.port}`, prefix, retryTimeoutMs: 300 });
    try {
      await away.close();
      for (const call of [
        () => log.schedule([{ type: 't.away', data: {} }], { delayMs: 10 }),
        () => log.cancelScheduled('x'),
        () => log.scheduled(),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(HeraldError);
        expect((error as HeraldError).code).toBe('LOG_UNREACHABLE');
      }
    } finally {
      await log.close();
    }
  });
});
