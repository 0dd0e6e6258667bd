/**
 * PostgreSQL restarted under a running log (`pg_ctlcluster ... restart`). It restarts the shared
 * server, so it holds it alone (every other postgres test file holds it shared and waits) and
 * leaves a marker while the server is down; at the end the server is up again, whatever happened.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import {
  dropSchemas,
  POSTGRES_URL,
  postgresUnreachable,
  RESTART_MARKER,
  uniqueSchema,
} from './fixtures/postgres-server.js';
import { holdServerAlone } from './fixtures/postgres-server-lock.js';
import { appendBehindFailingRound } from './helpers/queued-append.js';

/** The local cluster's `pg_ctlcluster` arguments, or why the server cannot be restarted from here. */
function cluster(): { version: string } | { reason: string } {
  if (!['127.0.0.1', 'localhost'].includes(new URL(POSTGRES_URL).hostname))
    return { reason: `${POSTGRES_URL} is not the local cluster` };
  if (!existsSync('/etc/postgresql')) return { reason: 'no /etc/postgresql (pg_ctlcluster layout)' };
  const version = readdirSync('/etc/postgresql')[0];
  if (version === undefined) return { reason: 'no cluster in /etc/postgresql' };
  const which = spawnSync('pg_ctlcluster', ['--help'], { stdio: 'ignore' });
  if (which.error !== undefined) return { reason: 'pg_ctlcluster is not installed' };
  return { version };
}

function ctl(version: string, action: 'restart' | 'start' | 'stop'): Promise<number | null> {
  const proc = spawn('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', action], {
    stdio: 'ignore',
  });
  return new Promise((resolve) => proc.on('exit', resolve));
}

const unreachable = await postgresUnreachable();
const target = cluster();
const skip = unreachable ?? ('reason' in target ? target.reason : undefined);
if (unreachable === undefined && skip !== undefined && process.env['CI'] === 'true')
  throw new Error(`the restart test cannot run: ${skip}`);
const schema = uniqueSchema('restart');
const logs: EventLog[] = [];
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (skip === undefined) release = await holdServerAlone();
}, 180_000);

afterAll(async () => {
  if (skip !== undefined || 'reason' in target) return;
  await Promise.all(logs.map((log) => log.close()));
  rmSync(RESTART_MARKER, { force: true });
  // Whatever happened above, the server is up for the files after this one.
  if ((await postgresUnreachable().catch(() => 'down')) !== undefined) await ctl(target.version, 'start');
  await dropSchemas([schema]);
  await release?.();
}, 60_000);

// Far beyond the test: the reader wakes only by notification or by reconnecting.
const NO_POLL = 600_000;

describe('postgres log across a server restart', () => {
  it('publishers retry or fail with LOG_UNREACHABLE (never a silent loss); tails and groups go on with no gap', async (ctx) => {
    if (skip !== undefined || 'reason' in target) return ctx.skip(skip);
    const open = async (options: { pollIntervalMs?: number; retryTimeoutMs?: number }) => {
      const log = await postgresLog({ connectionString: POSTGRES_URL, schema, ...options });
      logs.push(log);
      return log;
    };
    const reader = await open({ pollIntervalMs: NO_POLL });
    const writer = await open({});
    const impatient = await open({ retryTimeoutMs: 0 });

    // A tail that checks each position follows the last.
    const seen: StoredEvent[] = [];
    const skips: string[] = [];
    const tail = reader.subscribe({ from: 'start' });
    const tailing = (async () => {
      for await (const event of tail) {
        if (event.position !== (seen.at(-1)?.position ?? 0) + 1)
          skips.push(`${seen.at(-1)?.position} -> ${event.position}`);
        seen.push(event);
      }
    })();
    // A group member that acks everything it gets; errors are counted, not fatal.
    const group = await reader.group('g', { startAt: 'start', ackWaitMs: 3_000 });
    const acked = new Set<string>();
    const consuming = new AbortController();
    const consumer = (async () => {
      while (!consuming.signal.aborted) {
        try {
          const deliveries = await group.pull({ max: 50, waitMs: 500 });
          await Promise.all(deliveries.map((d) => d.ack()));
          for (const d of deliveries) acked.add(d.event.id);
        } catch {
          // Unreachable past the retry time: ask again.
        }
      }
    })();
    // A publisher that records what resolved and what failed.
    const resolved: string[] = [];
    const failures: unknown[] = [];
    const publishing = new AbortController();
    let batch = 0;
    const publisher = (async () => {
      while (!publishing.signal.aborted) {
        const events = Array.from({ length: 5 }, (_, i) => ({ id: `w-${batch}-${i}`, type: 'restart.tick' }));
        batch++;
        try {
          for (const r of await writer.append(events)) resolved.push(r.id);
        } catch (error) {
          failures.push(error);
        }
      }
    })();

    await waitFor(() => seen.length >= 100, { timeoutMs: 10_000 });
    writeFileSync(RESTART_MARKER, String(process.pid));
    const restarted = ctl(target.version, 'restart');
    const restarting = new AbortController();
    void restarted.then(() => restarting.abort());
    // Meanwhile a publisher that does not wait gets a clear error, or its append went through.
    const impatientErrors: unknown[] = [];
    for (let i = 0; !restarting.signal.aborted; i++) {
      const since = Date.now();
      try {
        for (const r of await impatient.append([{ id: `i-${i}`, type: 'restart.tick' }])) resolved.push(r.id);
      } catch (error) {
        impatientErrors.push(error);
      }
      await waitFor(() => Date.now() >= since + 20);
    }
    expect(await restarted).toBe(0);
    rmSync(RESTART_MARKER, { force: true });

    const before = seen.length;
    await waitFor(() => seen.length >= before + 100, {
      timeoutMs: 20_000,
      message: 'the tail did not go on',
    });
    publishing.abort();
    await publisher;
    let stored: StoredEvent[] = [];
    await waitFor(
      async () => {
        stored = [];
        for await (const event of writer.read()) stored.push(event);
        return seen.length === stored.length;
      },
      { timeoutMs: 20_000, message: 'the tail did not catch up' },
    );
    await waitFor(() => acked.size === stored.length, {
      timeoutMs: 30_000,
      message: 'the group did not catch up',
    });
    consuming.abort();
    await consumer;
    await tail.close();
    await tailing;

    expect(skips).toEqual([]);
    expect(seen.map((e) => e.position)).toEqual(stored.map((_, i) => i + 1));
    const ids = stored.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of resolved) expect(ids, `resolved append ${id} is stored`).toContain(id);
    for (const error of [...failures, ...impatientErrors])
      expect(error).toMatchObject({ code: 'LOG_UNREACHABLE' });
    expect(impatientErrors.length, 'no append was tried while the server was down').toBeGreaterThan(0);
    expect(await group.info()).toMatchObject({ pending: 0, lag: 0 });
  }, 120_000);

  it('gives an append queued behind a failing round what is left of its budget, not a new one', async (ctx) => {
    if (skip !== undefined || 'reason' in target) return ctx.skip(skip);
    // Before: each round started its own retryTimeoutMs, so an append that waited behind a round
    // failing for want of the server then waited a whole budget more (16 s against a 10 s budget).
    const BUDGET = 2_000;
    const log = await postgresLog({ connectionString: POSTGRES_URL, schema, retryTimeoutMs: BUDGET });
    logs.push(log);
    await log.append([{ type: 't.warm', data: {} }]);
    writeFileSync(RESTART_MARKER, '');
    await ctl(target.version, 'stop');
    try {
      // The second append waits behind the first one's round, which spends its budget.
      const { first, queued } = await appendBehindFailingRound(log);
      expect(first.code).toBe('LOG_UNREACHABLE');
      expect(queued.code).toBe('LOG_UNREACHABLE');
      // Its own budget from its append (2 s), not the 1.7 s left of the first round plus a new 2 s.
      expect(queued.waitedMs).toBeLessThan(BUDGET + 500);
    } finally {
      await ctl(target.version, 'start');
      await waitFor(async () => (await postgresUnreachable().catch(() => 'down')) === undefined, {
        timeoutMs: 30_000,
        message: 'PostgreSQL did not come back',
      });
      rmSync(RESTART_MARKER, { force: true });
    }
  }, 60_000);
});
