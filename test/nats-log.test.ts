import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import { HeraldError } from '../src/errors/index.js';
import { waitFor } from '../src/testing/index.js';
import { forkChild } from './helpers/fork-child.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { freePort, startNatsProxy } from './fixtures/nats-proxy.js';
import { NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNats } from './fixtures/nats-server-lock.js';

// Two natsLog objects with their own connections on one JetStream stream: what two processes
// appending to one log do. Their appends cut into each other's pipelined runs; every batch must
// still land whole on consecutive positions, once, and expected versions must hold across them.
const unreachable = await natsUnreachable();
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const created: string[] = [];

async function pair(name: string): Promise<[EventLog, EventLog]> {
  const stream = `HERALD_PAIR_${name}_${suffix}`;
  created.push(stream);
  const options = { servers: NATS_URL, stream, subjectPrefix: `pair_${name}_${suffix}` };
  const a = await natsLog(options);
  return [a, await natsLog(options)];
}

async function all(log: EventLog): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of log.read({ from: 'start' })) out.push(e);
  return out;
}

describe.skipIf(unreachable !== undefined)('natsLog: two writers on one stream, and connecting', () => {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => void (release = await holdNats()));
  afterAll(async () => {
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    for (const s of created) await jsm.streams.delete(s).catch(() => false);
    await nc.close();
    await release?.();
  });

  it('stores every batch of both writers whole, on consecutive positions, once', async () => {
    const [a, b] = await pair('batches');
    try {
      const append = (log: EventLog, who: string) =>
        Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            log.append(Array.from({ length: 5 }, (_, j) => ({ type: 'pair.tick', data: { who, i, j } }))),
          ),
        );
      const [fromA, fromB] = await Promise.all([append(a, 'a'), append(b, 'b')]);
      for (const batch of [...fromA, ...fromB]) {
        const positions = batch.map((r) => r.position);
        expect(positions).toEqual(positions.map((_, k) => positions[0]! + k));
        expect(batch.every((r) => !r.duplicate)).toBe(true);
      }
      const positions = [...fromA, ...fromB].flat().map((r) => r.position);
      expect(new Set(positions).size).toBe(200);
      // Both readers see the same 200 events (taken-back attempts are gone).
      const [seenA, seenB] = [await all(a), await all(b)];
      expect(seenA.map((e) => e.id)).toEqual(seenB.map((e) => e.id));
      expect(seenA.map((e) => e.position).sort((x, y) => x - y)).toEqual(
        [...positions].sort((x, y) => x - y),
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('shows a reader that was open all along exactly what a fresh reader sees, each id once', async () => {
    // Three writer processes: their runs cut into each other at the server, so batches that were
    // partly stored and then taken back happen; no reader may ever show them.
    const [early, other] = await pair('readers');
    const options = {
      servers: NATS_URL,
      stream: `HERALD_PAIR_readers_${suffix}`,
      subjectPrefix: `pair_readers_${suffix}`,
    };
    const tail = early.subscribe({ from: 'start' });
    const tailed: StoredEvent[] = [];
    const tailing = (async () => {
      for await (const e of tail) tailed.push(e);
    })();
    try {
      const writers = ['a', 'b', 'c'].map((who) =>
        forkChild<[number, string][]>(new URL('./fixtures/nats-writer-child.ts', import.meta.url), {
          ...options,
          who,
          callers: 100,
          rounds: 3,
        }),
      );
      const stored = (await Promise.all(writers.map((w) => w.next()))).flat();
      await Promise.all(writers.map((w) => w.stop()));
      const fresh = await natsLog(options);
      const truth = await all(fresh);
      await fresh.close();
      expect(new Set(truth.map((e) => e.id)).size).toBe(truth.length);
      expect(truth.map((e) => [e.position, e.id])).toEqual([...stored].sort((x, y) => x[0] - y[0]));
      for (const reader of [early, other])
        expect((await all(reader)).map((e) => e.position)).toEqual(truth.map((e) => e.position));
      await waitFor(() => tailed.length >= truth.length, { timeoutMs: 20_000 });
      expect(tailed.map((e) => [e.position, e.id])).toEqual(truth.map((e) => [e.position, e.id]));
    } finally {
      await tail.close();
      await tailing;
      await Promise.all([early.close(), other.close()]);
    }
  }, 120_000);

  it('lets exactly one writer take each version of a stream', async () => {
    const [a, b] = await pair('versions');
    try {
      let conflicts = 0;
      const writer = async (log: EventLog, who: string) => {
        for (let k = 0; k < 15; k++) {
          const version = await log.streamVersion('order-1');
          try {
            await log.append([{ type: 'pair.order', data: { who, k } }], {
              stream: 'order-1',
              expectedVersion: version === 0 ? 'no_stream' : version,
            });
          } catch (err) {
            if (!(err instanceof HeraldError) || err.code !== 'CONCURRENCY_CONFLICT') throw err;
            conflicts++;
          }
        }
      };
      await Promise.all([writer(a, 'a'), writer(b, 'b')]);
      const events: StoredEvent[] = [];
      for await (const e of a.read({ stream: 'order-1' })) events.push(e);
      expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
      expect(events.length + conflicts).toBe(30);
      expect(await b.streamVersion('order-1')).toBe(events.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('reports an id appended by the other writer as a duplicate', async () => {
    const [a, b] = await pair('dedup');
    try {
      const [first] = await a.append([{ id: 'same-id', type: 'pair.once', source: 'test', data: 1 }]);
      const [again] = await b.append([{ id: 'same-id', type: 'pair.once', source: 'test', data: 1 }]);
      expect(again).toMatchObject({ position: first!.position, duplicate: true });
      // The same id with other content is refused, not reported as the stored event.
      await expect(
        b.append([{ id: 'same-id', type: 'pair.once', source: 'test', data: 2 }]),
      ).rejects.toMatchObject({ code: 'DUPLICATE_ID_CONFLICT' });
      expect((await all(b)).length).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('stores an event again when its message is gone but its id is still in the duplicate window', async () => {
    // A single event outside any stream goes out with no expectation; JetStream answers
    // "duplicate" for the id of a message it deleted, and the append must store it again.
    const [a, b] = await pair('gone');
    const nc = await connect({ servers: NATS_URL });
    try {
      const [first] = await a.append([{ id: 'gone-id', type: 'pair.gone', source: 'test', data: 1 }]);
      const jsm = await jetstreamManager(nc);
      await jsm.streams.deleteMessage(`HERALD_PAIR_gone_${suffix}`, first!.position, false);
      const fresh = await natsLog({
        servers: NATS_URL,
        stream: `HERALD_PAIR_gone_${suffix}`,
        subjectPrefix: `pair_gone_${suffix}`,
      });
      try {
        const [again] = await fresh.append([{ id: 'gone-id', type: 'pair.gone', source: 'test', data: 2 }]);
        expect(again).toMatchObject({ duplicate: false });
        expect(again!.position).toBeGreaterThan(first!.position);
        expect((await all(fresh)).map((e) => [e.id, e.data])).toEqual([['gone-id', 2]]);
      } finally {
        await fresh.close();
      }
    } finally {
      await Promise.all([a.close(), b.close(), nc.close()]);
    }
  });

  it('keeps no message in the dead-letter stream once a redriven event is acked', async () => {
    const [a, b] = await pair('redrive');
    try {
      await a.append([{ type: 'pair.fail', data: 1 }]);
      const group = await a.group('g', { types: ['pair.>'], startAt: 'start' });
      const [first] = await group.pull({ max: 1, waitMs: 2_000 });
      await first!.nack({ deadLetter: true, error: new Error('boom') });
      expect(await group.deadLetters()).toHaveLength(1);
      expect(await group.redrive()).toBe(1);
      const [again] = await group.pull({ max: 1, waitMs: 2_000 });
      expect(again).toMatchObject({ deliveryCount: 1, event: { position: first!.event.position } });
      await again!.ack();
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        const dlq = `HERALD_PAIR_redrive_${suffix}_DLQ`;
        created.push(dlq);
        expect((await jsm.streams.info(dlq)).state.messages).toBe(0);
      } finally {
        await nc.close();
      }
      expect(await group.info()).toMatchObject({ pending: 0, deadLetters: 0 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
  it('keeps trying until the server answers, within connectTimeoutMs', async () => {
    const port = await freePort();
    const stream = `HERALD_LATE_${suffix}`;
    created.push(stream);
    const opening = natsLog({
      servers: `127.0.0.1:${port}`,
      stream,
      subjectPrefix: `late_${suffix}`,
      connectTimeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const proxy = await startNatsProxy(port);
    try {
      const log = await opening;
      const [stored] = await log.append([{ type: 'late.ok', data: 1 }]);
      expect(stored!.position).toBe(1);
      await log.close();
    } finally {
      proxy.kill();
    }
  });

  it('fails with LOG_UNREACHABLE once connectTimeoutMs has passed', async () => {
    const port = await freePort();
    const failure = await natsLog({
      servers: `127.0.0.1:${port}`,
      stream: 'NEVER',
      subjectPrefix: 'never',
      connectTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HeraldError);
    expect((failure as HeraldError).code).toBe('LOG_UNREACHABLE');
    expect((failure as HeraldError).message).toContain(`127.0.0.1:${port}`);
  });
});
