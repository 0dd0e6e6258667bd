import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import type { ConsumerGroup, EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { natsBinaryMissing, privateNats, type FaultServer } from './fixtures/private-servers.js';

/**
 * Acks that answered `acked` across a nats-server restart, on a private server (own port, own
 * store directory), so killing it touches no other test: two members of one group pull and ack
 * under a steady append load while the server is stopped (SIGTERM) or killed (SIGKILL) and
 * started again. What is counted is what a member of the group would see:
 *
 * - `againAfterAcked`: deliveries handed out after an ack of the same event answered `acked`;
 * - `twoHands`: deliveries handed to a member while another member held the event (handed out,
 *   within its ack wait, its ack not yet answered);
 * - `deadAfterAcked`: dead letters of events a member acked.
 */

const ACK_WAIT_MS = 2_000;
/** How long before its ack wait ends a member counts a delivery as no longer its own (the pull's latency). */
const HOLD_MARGIN_MS = 100;

interface Hold {
  readonly member: string;
  readonly at: number;
  settled: boolean;
}

interface Counts {
  handedOut: number;
  acked: number;
  ackFailed: number;
  againAfterAcked: number;
  twoHands: number;
  deadAfterAcked: number;
}

/**
 * Runs the load: an appender and two members (on one log, one hub, or each on its own log and
 * connection, two hubs), the server stopped with `signal` in the middle (killed: started again
 * after 2 s), then waits until every event appended is acked or dead-lettered and two ack waits more.
 */
async function acksAcrossFault(
  server: FaultServer,
  name: string,
  signal: 'SIGTERM' | 'SIGKILL',
  hubs: 1 | 2,
): Promise<Counts> {
  const options = { servers: server.url, stream: `ACKDUR_${name}`, subjectPrefix: `ackdur_${name}` };
  const logs: EventLog[] = [];
  for (let i = 0; i < 1 + hubs; i++) logs.push(await natsLog(options));
  const writer = logs[0]!;
  const memberLogs = [logs[1]!, logs[hubs]!];
  const groupOptions = {
    types: ['t.>'],
    startAt: 'start' as const,
    ackWaitMs: ACK_WAIT_MS,
    maxDeliveries: 5,
  };
  const groups = await Promise.all(memberLogs.map((l) => l.group('g', groupOptions)));
  const counts: Counts = {
    handedOut: 0,
    acked: 0,
    ackFailed: 0,
    againAfterAcked: 0,
    twoHands: 0,
    deadAfterAcked: 0,
  };
  const holds = new Map<number, Hold[]>();
  const ackedAt = new Map<number, number>();
  const appended = new Set<number>();
  const run = { stop: false, stopAppending: false };

  const appending = (async () => {
    for (let n = 0; !run.stopAppending && !run.stop; n++) {
      const events = Array.from({ length: 5 }, (_, i) => ({ type: 't.e', data: { n, i } }));
      const result = await writer.append(events).catch(() => undefined);
      for (const r of result ?? []) appended.add(r.position);
      await new Promise((r) => setTimeout(r, result === undefined ? 100 : 25)); // the load's pace
    }
  })();

  const member = async (who: string, group: ConsumerGroup): Promise<void> => {
    while (!run.stop) {
      const pulled = await group.pull({ max: 20, waitMs: 300 }).catch(() => undefined);
      if (pulled === undefined) {
        await new Promise((r) => setTimeout(r, 100)); // the server is away: pull again shortly
        continue;
      }
      const now = Date.now();
      for (const d of pulled) {
        const position = d.event.position;
        counts.handedOut++;
        const acked = ackedAt.get(position);
        if (acked !== undefined && acked <= now) counts.againAfterAcked++;
        const list = holds.get(position) ?? [];
        for (const h of list)
          if (h.member !== who && !h.settled && now < h.at + ACK_WAIT_MS - HOLD_MARGIN_MS) counts.twoHands++;
        list.push({ member: who, at: now, settled: false });
        holds.set(position, list);
      }
      await Promise.all(
        pulled.map(async (d) => {
          const hold = holds.get(d.event.position)!.at(-1)!;
          await new Promise((r) => setTimeout(r, Math.random() * 20)); // the member's work
          try {
            await d.ack();
            counts.acked++;
            if (!ackedAt.has(d.event.position)) ackedAt.set(d.event.position, Date.now());
          } catch {
            counts.ackFailed++;
          }
          hold.settled = true;
        }),
      );
    }
  };
  const members = groups.map((g, i) => member(`m${i}`, g));

  try {
    await waitFor(() => ackedAt.size >= 200, { timeoutMs: 20_000, message: 'no acks before the fault' });
    await (signal === 'SIGKILL' ? server.crash() : server.stop());
    if (signal === 'SIGKILL') await new Promise((r) => setTimeout(r, 2_000)); // the outage
    await server.start();
    const before = ackedAt.size;
    await waitFor(() => ackedAt.size >= before + 200, {
      timeoutMs: 30_000,
      message: 'no acks after the fault',
    });
    run.stopAppending = true;
    await appending;
    // Every event appended is acked or dead-lettered.
    let dead = new Set<number>();
    await waitFor(
      async () => {
        dead = new Set((await groups[0]!.deadLetters({ limit: 1_000 })).map((l) => l.event.position));
        return [...appended].every((p) => ackedAt.has(p) || dead.has(p));
      },
      { timeoutMs: 60_000, message: 'events were neither acked nor dead-lettered' },
    );
    // Two ack waits more: whatever the server still hands out after an acked ack counts too.
    await new Promise((r) => setTimeout(r, ACK_WAIT_MS * 2)); // lets redeliveries become due
    run.stop = true;
    await Promise.all(members);
    dead = new Set((await groups[0]!.deadLetters({ limit: 1_000 })).map((l) => l.event.position));
    counts.deadAfterAcked = [...dead].filter((p) => ackedAt.has(p)).length;
    return counts;
  } finally {
    run.stop = true;
    await Promise.allSettled([appending, ...members]);
    for (const l of logs) await l.close();
  }
}

// The file starts nats-server itself; without the binary it skips (under CI=true it fails).
const missing = natsBinaryMissing();
if (missing !== undefined && process.env['CI'] === 'true') throw new Error(`${missing}: CI=true requires it`);

describe('nats groups: acked acks across a nats-server restart', () => {
  if (missing !== undefined) {
    it.skip(`needs nats-server: ${missing}`, () => undefined);
    return;
  }
  let server: FaultServer;
  beforeAll(async () => {
    server = await privateNats();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('a delivery dropped from the buffer unseen does not count toward maxDeliveries', async () => {
    const log = await natsLog({
      servers: server.url,
      stream: 'ACKDUR_unreached',
      subjectPrefix: 'ackdur_unreached',
    });
    try {
      const group = await log.group('u', {
        types: ['u.>'],
        startAt: 'end',
        ackWaitMs: 1_000,
        maxDeliveries: 2,
      });
      // A pull whose wait is aborted keeps what arrives late for the next pull; past half its ack
      // wait there it is dropped, never handed to a member.
      const abort = new AbortController();
      const waiting = group.pull({ max: 1, waitMs: 2_000, signal: abort.signal });
      setTimeout(() => abort.abort(), 100);
      expect(await waiting).toEqual([]);
      const [appended] = await log.append([{ type: 'u.e', data: {} }]);
      await new Promise((r) => setTimeout(r, 700)); // the late delivery ages in the buffer
      // Members get the event twice (JetStream delivers it three times), then it is a dead letter.
      const got: number[] = [];
      await waitFor(
        async () => {
          for (const d of await group.pull({ max: 1, waitMs: 500 })) {
            got.push(d.deliveryCount);
            await d.nack({ error: 'not now' });
          }
          return (await group.deadLetters()).length > 0;
        },
        { timeoutMs: 20_000, message: 'no dead letter' },
      );
      expect(got).toEqual([1, 2]);
      expect(await group.deadLetters()).toMatchObject([
        { event: { position: appended!.position }, deliveries: 2 },
      ]);
    } finally {
      await log.close();
    }
  }, 30_000);

  it('a group consumer made with MaxDeliver (an older Herald) loses it when the group is opened', async () => {
    const options = { servers: server.url, stream: 'ACKDUR_upgrade', subjectPrefix: 'ackdur_upgrade' };
    const log = await natsLog(options);
    const nc = await connect({ servers: server.url });
    try {
      await log.group('old', { types: ['o.>'], startAt: 'start', maxDeliveries: 5 });
      const jsm = await jetstreamManager(nc);
      const durable = (await jsm.consumers.list('ACKDUR_upgrade').next()).find((c) =>
        c.name.startsWith('g_'),
      )!;
      await jsm.consumers.update('ACKDUR_upgrade', durable.name, { max_deliver: 6 });
      // Another process opens the group as it is: the server must not stop delivering at 6.
      const other = await natsLog(options);
      try {
        await other.group('old');
        expect((await jsm.consumers.info('ACKDUR_upgrade', durable.name)).config.max_deliver).toBe(-1);
      } finally {
        await other.close();
      }
    } finally {
      await nc.close();
      await log.close();
    }
  });

  for (const [signal, rounds] of [
    ['SIGTERM', 1],
    ['SIGKILL', 2],
  ] as const) {
    it(`${signal}, one hub: no acked event comes back, none in two hands, no acked dead letter`, async () => {
      const all: Counts[] = [];
      for (let round = 0; round < rounds; round++)
        all.push(await acksAcrossFault(server, `${signal}_one_${round}`, signal, 1));
      console.log(`${signal}, one hub`, all);
      for (const counts of all)
        expect(counts).toMatchObject({ againAfterAcked: 0, twoHands: 0, deadAfterAcked: 0 });
    }, 120_000);

    it(`${signal}, two hubs: no acked event comes back (the hubs tell each other), none in two hands`, async () => {
      const all: Counts[] = [];
      for (let round = 0; round < rounds; round++)
        all.push(await acksAcrossFault(server, `${signal}_two_${round}`, signal, 2));
      console.log(`${signal}, two hubs`, all);
      for (const counts of all)
        expect(counts).toMatchObject({ againAfterAcked: 0, twoHands: 0, deadAfterAcked: 0 });
    }, 120_000);
  }
});
