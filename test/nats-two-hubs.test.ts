import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/testing/index.js';
import { NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNats } from './fixtures/nats-server-lock.js';
import {
  expectStreamedAcrossHubs,
  startHubProcess,
  stopHubProcess,
  type HubProcess,
} from './helpers/hub-process.js';

// Two `herald serve` processes on one NATS JetStream log: what is published through one hub is
// streamed by the other in position order, and a plain NATS subscriber sees it on its subject.
const unreachable = await natsUnreachable();
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const stream = `HERALD_HUBS_${suffix}`;
const subjectPrefix = `hubs_${suffix}`;
const hubs: HubProcess[] = [];

describe.skipIf(unreachable !== undefined)('two hubs on one NATS JetStream log', () => {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    release = await holdNats();
    const env = { HERALD_NATS__STREAM: stream, HERALD_NATS__SUBJECT_PREFIX: subjectPrefix };
    // One first, so the stream exists before the second hub opens it.
    hubs.push(await startHubProcess(`nats://${NATS_URL.replace(/^nats:\/\//, '')}`, env));
    hubs.push(await startHubProcess(`nats://${NATS_URL.replace(/^nats:\/\//, '')}`, env));
  }, 60_000);
  afterAll(async () => {
    const codes = await Promise.all(hubs.map((h) => stopHubProcess(h.child)));
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
    await nc.close();
    await release?.();
    expect(codes).toEqual(hubs.map(() => 0));
  });

  it('streams on one hub, in position order, what is published through the other', async () => {
    const nc = await connect({ servers: NATS_URL });
    const plain: string[] = [];
    const sub = nc.subscribe(`${subjectPrefix}.hubs.>`, {
      callback: (_err, msg) => {
        plain.push(msg.subject);
      },
    });
    await nc.flush();
    try {
      await expectStreamedAcrossHubs(hubs[0]!, hubs[1]!, 20);
      await waitFor(() => plain.length >= 20, { timeoutMs: 10_000 });
      expect(new Set(plain)).toEqual(new Set([`${subjectPrefix}.hubs.tick`]));
    } finally {
      sub.unsubscribe();
      await nc.close();
    }
  });
});
