import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import { HeraldError } from '../src/errors/index.js';
import type { StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { NATS_DAEMON, NATS_SERVER_ARGS, NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNatsAlone } from './fixtures/nats-server-lock.js';

// nats-server is stopped and started again mid-stream, as the machine's service runs it.
const DAEMON = NATS_DAEMON;
const SERVER_ARGS = NATS_SERVER_ARGS;
const [host, port] = NATS_URL.replace(/^nats:\/\//, '').split(':') as [string, string];

function up(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const daemon = (action: 'start' | 'stop'): void =>
  void execFileSync(
    'start-stop-daemon',
    action === 'start'
      ? ['--start', '--oknodo', '--background', '--exec', DAEMON, '--', ...SERVER_ARGS]
      : ['--stop', '--oknodo', '--retry', 'TERM/10/KILL/5', '--exec', DAEMON],
  );

async function startServer(): Promise<void> {
  if (!(await up())) daemon('start');
  await waitFor(up, { timeoutMs: 20_000, message: 'nats-server did not come back' });
  // JetStream answers a little after the port opens.
  await waitFor(async () => (await natsUnreachable().catch(() => 'down')) === undefined, {
    timeoutMs: 20_000,
  });
}

/** A quick restart: stopped and started again before the clients notice they lost it. */
async function restartServer(): Promise<void> {
  daemon('stop');
  daemon('start');
  await startServer();
}

async function stopServer(): Promise<void> {
  daemon('stop');
  await waitFor(async () => !(await up()), { timeoutMs: 15_000, message: 'nats-server did not stop' });
}

const unreachable = await natsUnreachable();
const local = /^(nats:\/\/)?127\.0\.0\.1:4222$/.test(NATS_URL);

describe('nats log: nats-server restarts mid-stream', () => {
  if (unreachable !== undefined || !local) {
    it.skip(`needs the local nats-server on 127.0.0.1:4222: ${unreachable ?? `HERALD_TEST_NATS_URL is ${NATS_URL}`}`, () =>
      undefined);
    return;
  }
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const stream = `HERALD_RESTART_${suffix}`;
  afterAll(async () => {
    await startServer(); // whatever happened, the server is up for the other files
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    for (const s of [stream, `${stream}_DLQ`, `${stream}_LOAD`, `${stream}_LOAD_DLQ`])
      await jsm.streams.delete(s).catch(() => false);
    await nc.close();
  });

  it('publishers get errors during the outage, then tails, groups and appends go on with nothing acked lost', async () => {
    const release = await holdNatsAlone();
    const log = await natsLog({ servers: NATS_URL, stream, subjectPrefix: `restart_${suffix}` });
    try {
      const before = await log.append(
        Array.from({ length: 20 }, (_, n) => ({ type: 't.before', data: { n } })),
      );
      const group = await log.group('g', { types: ['t.>'], startAt: 'start', ackWaitMs: 60_000 });
      const pulled = await group.pull({ max: 10 });
      expect(pulled).toHaveLength(10);
      await Promise.all(pulled.slice(0, 5).map((d) => d.ack()));
      const tail = log.subscribe({ from: 'start' });
      const seen: StoredEvent[] = [];
      const tailing = (async () => {
        for await (const event of tail) seen.push(event);
      })();
      await waitFor(() => seen.length === 20, { message: 'the tail did not read the history' });

      await stopServer();
      // During the outage an append fails (it is not taken silently), naming the problem.
      const failure = await log.append([{ type: 't.during', data: {} }]).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(HeraldError);
      expect((failure as HeraldError).code).toBe('LOG_UNREACHABLE');

      await startServer();
      // Appends go through again once the client has reconnected.
      let after: Awaited<ReturnType<typeof log.append>> | undefined;
      await waitFor(
        async () => {
          after = await log
            .append([{ type: 't.after', data: { n: 1 } }], { stream: 'after' })
            .catch(() => undefined);
          return after !== undefined;
        },
        { timeoutMs: 30_000, message: 'appends did not resume' },
      );
      expect(after![0]!.position).toBeGreaterThan(before.at(-1)!.position);

      // The tail goes on after its cursor, in order, without a duplicate.
      await waitFor(() => seen.some((e) => e.id === after![0]!.id), {
        timeoutMs: 30_000,
        message: 'the tail did not go on',
      });
      const positions = seen.map((e) => e.position);
      expect(positions).toEqual([...new Set(positions)].sort((a, b) => a - b));

      // The group goes on: acks of deliveries made before the restart count, the rest comes.
      await Promise.all(pulled.slice(5).map((d) => d.ack()));
      const rest: number[] = [];
      await waitFor(
        async () => {
          for (const d of await group.pull({ max: 50, waitMs: 500 })) {
            rest.push(d.event.position);
            await d.ack();
          }
          return rest.includes(after![0]!.position);
        },
        { timeoutMs: 30_000, message: 'the group did not go on' },
      );
      expect(rest).toEqual(seen.slice(10).map((e) => e.position));
      expect(await group.info()).toMatchObject({ pending: 0, lag: 0, deadLetters: 0 });

      // Nothing acknowledged was lost: every append that resolved is in the log.
      const all: StoredEvent[] = [];
      for await (const event of log.read()) all.push(event);
      expect(all.map((e) => e.id)).toEqual([...before.map((a) => a.id), after![0]!.id]);

      await tail.close();
      await tailing;
    } finally {
      await log.close();
      await startServer();
      await release();
    }
  });
  it('answers every call within its deadline through a restart under load, then goes on at once', async () => {
    // Before: the index feed's pull died with the server and the client noticed only after two
    // missed 15 s heartbeats, so appends and bounds() made after the restart hung about 40 s.
    const release = await holdNatsAlone();
    const log = await natsLog({
      servers: NATS_URL,
      stream: `${stream}_LOAD`,
      subjectPrefix: `load_${suffix}`,
    });
    const HUNG_MS = 10_000; // the documented waits are 5 s; anything past this is a hang
    const settle = async (call: Promise<unknown>): Promise<string> =>
      Promise.race([
        call.then(
          () => 'ok',
          (e: unknown) => (e instanceof HeraldError ? e.code : `not a HeraldError: ${String(e)}`),
        ),
        new Promise<string>((r) => setTimeout(() => r('hung'), HUNG_MS).unref()),
      ]);
    const run = { stop: false };
    const outcomes: string[] = [];
    try {
      const group = await log.group('load', { types: ['t.>'], startAt: 'start', ackWaitMs: 30_000 });
      const loops = Array.from({ length: 12 }, async (_, k) => {
        for (let n = 0; !run.stop; n++) {
          const outcome = await settle(log.append([{ type: 't.load', data: { k, n } }]));
          outcomes.push(outcome);
          if (outcome !== 'ok') await new Promise((r) => setTimeout(r, 100));
        }
      });
      const member = (async () => {
        while (!run.stop) {
          const pulled = await group.pull({ max: 50, waitMs: 500 }).catch((e: unknown) => e);
          if (!Array.isArray(pulled))
            outcomes.push(
              pulled instanceof HeraldError ? pulled.code : `not a HeraldError: ${String(pulled)}`,
            );
          else for (const d of pulled) await d.ack().catch(() => undefined);
        }
      })();
      // Two seconds of load, so the feed has pulls in flight when the server goes.
      // A readiness probe, as a hub runs one.
      const probe = (async () => {
        while (!run.stop) {
          outcomes.push(await settle(log.bounds()));
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      await waitFor(() => outcomes.length > 50, { message: 'the load did not start' });
      await new Promise((r) => setTimeout(r, 2_000));
      await restartServer();
      // Within a few seconds of the server being back, appends and bounds() answer at once.
      await waitFor(async () => (await settle(log.append([{ type: 't.probe', data: {} }]))) === 'ok', {
        timeoutMs: 8_000,
        message: 'appends did not resume within 8 s of the server being back',
      });
      expect(await settle(log.bounds())).toBe('ok');
      expect(await settle(log.append([{ type: 't.after', data: {} }]))).toBe('ok');
      run.stop = true;
      await Promise.all([...loops, member, probe]);
      // Every call ended with an answer: stored, or LOG_UNREACHABLE; none hung, none was a raw error.
      expect(outcomes.filter((o) => o !== 'ok' && o !== 'LOG_UNREACHABLE')).toEqual([]);
    } finally {
      run.stop = true;
      await log.close();
      await startServer();
      await release();
    }
  }, 90_000);
});
