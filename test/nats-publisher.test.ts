import { JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../src/backends/nats/publisher.js';
import { NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNats } from './fixtures/nats-server-lock.js';

// The log's JetStream publisher reads acks from one inbox subscription instead of a request per
// message: what it must still tell apart (an ack, a duplicate, a failed expectation, no stream,
// no answer at all, a close).
const unreachable = await natsUnreachable();
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const stream = `HERALD_PUB_${suffix}`;
const subject = (type: string): string => `pub_${suffix}.${type}`;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe.skipIf(unreachable !== undefined)('natsLog publisher', () => {
  let release: () => Promise<void>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: Publisher;

  beforeAll(async () => {
    release = await holdNats();
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`pub_${suffix}.>`] });
    publisher = new Publisher(nc, 5_000);
  });
  afterAll(async () => {
    publisher.close(new Error('closed'));
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
    await release();
  });

  it('resolves with the stream sequence, and flags a repeated Nats-Msg-Id as a duplicate', async () => {
    const acks = await Promise.all([
      publisher.publish(subject('a'), bytes('1'), { msgID: 'm1' }),
      publisher.publish(subject('a'), bytes('2'), { msgID: 'm2' }),
    ]);
    expect(acks.map((a) => [a.stream, a.seq, a.duplicate])).toEqual([
      [stream, 1, false],
      [stream, 2, false],
    ]);
    const again = await publisher.publish(subject('a'), bytes('1'), { msgID: 'm1' });
    expect([again.seq, again.duplicate]).toEqual([1, true]);
  });

  it('rejects a failed expectation with the JetStream API error and its code', async () => {
    const { state } = await jsm.streams.info(stream);
    const ok = await publisher.publish(subject('b'), bytes('3'), {
      msgID: 'm3',
      lastSequence: state.last_seq,
    });
    expect(ok.seq).toBe(state.last_seq + 1);
    const wrongSeq = publisher.publish(subject('b'), bytes('4'), { msgID: 'm4', lastSequence: 1 });
    await expect(wrongSeq).rejects.toBeInstanceOf(JetStreamApiError);
    await expect(wrongSeq).rejects.toMatchObject({ code: 10071 });
    const wrongId = publisher.publish(subject('b'), bytes('5'), { msgID: 'm5', lastMsgID: 'not-the-last' });
    await expect(wrongId).rejects.toMatchObject({ code: 10070 });
  });

  it('rejects at once when no stream takes the subject (no responders)', async () => {
    await expect(
      publisher.publish(`nostream_${suffix}.x`, bytes('6'), { msgID: 'm6' }),
    ).rejects.toMatchObject({ name: 'NoResponders' });
  });

  it('rejects with a timeout when nothing answers, and after a close', async () => {
    // A plain subscriber takes the subject, so the server reports no "no responders"; it never answers.
    const silent = nc.subscribe(`silent_${suffix}.>`);
    const short = new Publisher(nc, 50);
    try {
      await expect(short.publish(`silent_${suffix}.x`, bytes('7'), { msgID: 'm7' })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      const waiting = short.publish(`silent_${suffix}.x`, bytes('8'), { msgID: 'm8' });
      short.close(new Error('the log is closed'));
      await expect(waiting).rejects.toThrow('the log is closed');
    } finally {
      silent.unsubscribe();
      short.close(new Error('closed'));
    }
  });
});
