import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { HeraldError } from '../src/errors/index.js';
import { redisLog, type RedisDataLoss } from '../src/backends/redis/index.js';
import type { StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import {
  deletePrefixes,
  REDIS_URL,
  redisUnreachable,
  RESTART_MARKER,
  testClient,
  uniquePrefix,
} from './fixtures/redis-server.js';
import { holdRedisAlone } from './fixtures/redis-server-lock.js';
import { appendBehindFailingRound } from './helpers/queued-append.js';

// Exactly how the machine's service starts Redis (no persistence: a restart loses everything).
const SERVER_ARGS = [
  '--daemonize',
  'yes',
  '--bind',
  '127.0.0.1',
  '-::1',
  '--port',
  '6379',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  '/var/lib/redis',
  '--logfile',
  '/var/log/redis/ci.log',
];

async function up(): Promise<boolean> {
  const client = testClient();
  client.options.retryStrategy = () => null;
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function startServer(): Promise<void> {
  if (!(await up())) execFileSync('redis-server', SERVER_ARGS);
  await waitFor(up, { timeoutMs: 20_000, message: 'Redis did not come back' });
}

const unreachable = await redisUnreachable();

describe('redis log: the server restarts without persistence', () => {
  if (unreachable !== undefined) {
    it.skip(`needs Redis: ${unreachable}`, () => undefined);
    return;
  }
  const prefix = uniquePrefix('restart');
  afterAll(async () => {
    await startServer(); // whatever happened, the server is up for the other files
    rmSync(RESTART_MARKER, { force: true });
    await deletePrefixes([prefix]);
  });

  it('publishers get errors during the outage, groups recreate themselves, tails go on, and the loss is reported', async () => {
    const release = await holdRedisAlone();
    writeFileSync(RESTART_MARKER, '');
    const losses: RedisDataLoss[] = [];
    const log = await redisLog({
      url: REDIS_URL,
      prefix,
      retryTimeoutMs: 30_000,
      onDataLoss: (l) => losses.push(l),
    });
    const impatient = await redisLog({
      url: REDIS_URL,
      prefix,
      retryTimeoutMs: 0,
      onDataLoss: () => undefined,
    });
    try {
      const before = await log.append(
        Array.from({ length: 20 }, (_, n) => ({ type: 't.before', data: { n } })),
      );
      const lastBefore = before.at(-1)!.position;
      const group = await log.group('g', { types: ['t.>'], startAt: 'start', ackWaitMs: 60_000 });
      const pulled = await group.pull({ max: 20 });
      expect(pulled).toHaveLength(20);
      const tail = log.subscribe({ from: 'start' });
      const seen: StoredEvent[] = [];
      const tailing = (async () => {
        for await (const event of tail) seen.push(event);
      })();
      await waitFor(() => seen.length === 20, { message: 'the tail did not read the history' });

      execFileSync('redis-cli', ['-p', '6379', 'shutdown', 'nosave']);
      await waitFor(async () => !(await up()), { timeoutMs: 10_000, message: 'Redis did not stop' });

      // During the outage: an append that does not wait fails, it is not lost silently.
      const failure = await impatient.append([{ type: 't.during', data: {} }]).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(HeraldError);
      expect((failure as HeraldError).code).toBe('LOG_UNREACHABLE');
      // One that waits (retryTimeoutMs) goes through once the server is back.
      const patient = log.append([{ type: 't.after', data: { n: 1 } }], { stream: 'after' });

      execFileSync('redis-server', SERVER_ARGS);
      const [after] = await patient;
      // Positions are never handed out twice to this process, and the loss is reported.
      expect(after!.position).toBeGreaterThan(lastBefore);
      expect(after!.version).toBe(1);
      expect(losses).toEqual([{ lostUpTo: lastBefore, detectedAt: expect.any(String) as unknown }]);

      // The tail reconnects and goes on after its cursor, in order, without a duplicate.
      await waitFor(() => seen.length === 21, { timeoutMs: 10_000, message: 'the tail did not go on' });
      expect(seen.at(-1)!.id).toBe(after!.id);

      // The group is created again from its options; it delivers what was written since the loss.
      const [delivery] = await group.pull({ max: 10, waitMs: 5_000 });
      expect(delivery!.event.id).toBe(after!.id);
      await delivery!.ack();
      await pulled[0]!.ack(); // a delivery from before the loss: acking it changes nothing
      expect(await log.groups()).toEqual(['g']);
      expect(await group.info()).toMatchObject({ pending: 0, lag: 0, deadLetters: 0 });

      // What the server lost is gone: only the event written since is there.
      const all: StoredEvent[] = [];
      for await (const event of log.read()) all.push(event);
      expect(all.map((e) => e.id)).toEqual([after!.id]);
      expect(await log.bounds()).toEqual({ first: after!.position, last: after!.position });

      await tail.close();
      await tailing;
    } finally {
      await impatient.close();
      await log.close();
      await startServer();
      rmSync(RESTART_MARKER, { force: true });
      await release();
    }
  });

  it('gives an append queued behind a failing round what is left of its budget, not a new one', async () => {
    // Before: each round started its own retryTimeoutMs, so an append that waited behind a round
    // failing for want of the server then waited a whole budget more (16 s against a 10 s budget).
    const release = await holdRedisAlone();
    writeFileSync(RESTART_MARKER, '');
    const BUDGET = 2_000;
    const log = await redisLog({
      url: REDIS_URL,
      prefix,
      retryTimeoutMs: BUDGET,
      onDataLoss: () => undefined,
    });
    try {
      await log.append([{ type: 't.warm', data: {} }]);
      execFileSync('redis-cli', ['-p', '6379', 'shutdown', 'nosave']);
      await waitFor(async () => !(await up()), { timeoutMs: 10_000, message: 'Redis did not stop' });
      // The second append waits behind the first one's round, which spends its budget.
      const { first, queued } = await appendBehindFailingRound(log);
      expect(first.code).toBe('LOG_UNREACHABLE');
      expect(queued.code).toBe('LOG_UNREACHABLE');
      // Its own budget from its append (2 s), not the 1.7 s left of the first round plus a new 2 s.
      expect(queued.waitedMs).toBeLessThan(BUDGET + 500);
    } finally {
      await log.close();
      await startServer();
      rmSync(RESTART_MARKER, { force: true });
      await release();
    }
  });
});
