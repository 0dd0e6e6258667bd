import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import type { EventLog } from '../src/log/types.js';
import { NATS_URL, natsUnreachable } from './fixtures/nats-server.js';
import { holdNats } from './fixtures/nats-server-lock.js';

/**
 * A TCP proxy in front of nats-server that loses what a dying connection loses: while armed, a
 * `+ACK` published without a reply subject (fire and forget) never reaches the server, while
 * requests (a reply subject) do. The client must not report those acks as confirmed.
 */
function ackLosingProxy(target: string): { server: Server; armed: { drop: boolean; dropped: number } } {
  const [host, port] = target.replace(/^nats:\/\//, '').split(':') as [string, string];
  const armed = { drop: false, dropped: 0 };
  const server = createServer((client: Socket) => {
    const upstream = connect(Number(port), host);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // Forward whole protocol lines (and PUB payloads); hold back a partial one.
      let out = Buffer.alloc(0);
      for (;;) {
        const eol = pending.indexOf('\r\n');
        if (eol < 0) break;
        const line = pending.subarray(0, eol).toString('latin1');
        const pub = /^PUB (\S+)(?: (\S+))? (\d+)$/.exec(line);
        if (pub === null) {
          out = Buffer.concat([out, pending.subarray(0, eol + 2)]);
          pending = pending.subarray(eol + 2);
          continue;
        }
        const size = Number(pub[3]);
        const end = eol + 2 + size + 2;
        if (pending.length < end) break;
        const payload = pending.subarray(eol + 2, eol + 2 + size).toString('latin1');
        const fireAndForgetAck = pub[2] === undefined && payload === '+ACK';
        if (armed.drop && fireAndForgetAck) armed.dropped++;
        else out = Buffer.concat([out, pending.subarray(0, end)]);
        pending = pending.subarray(end);
      }
      if (out.length > 0) upstream.write(out);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return { server, armed };
}

const unreachable = await natsUnreachable();

describe('nats log: acks lost on the way', () => {
  if (unreachable !== undefined) {
    it.skip(`needs nats-server: ${unreachable}`, () => undefined);
    return;
  }
  const proxy = ackLosingProxy(NATS_URL);
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  let log: EventLog;
  let release: () => Promise<void>;
  beforeAll(async () => {
    release = await holdNats();
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    log = await natsLog({
      servers: `127.0.0.1:${address.port}`,
      stream: `HERALD_LOSTACK_${suffix}`,
      subjectPrefix: `lostack_${suffix}`,
    });
  });
  afterAll(async () => {
    await log.close();
    await new Promise((resolve) => proxy.server.close(resolve));
    await release();
  });

  it('says acked only for acks the server confirmed: none of them comes back', async () => {
    await log.append(Array.from({ length: 5 }, (_, n) => ({ type: 't.lost', data: { n } })));
    const group = await log.group('acks', { types: ['t.>'], startAt: 'start', ackWaitMs: 500 });
    const pulled = await group.pull({ max: 5 });
    expect(pulled).toHaveLength(5);
    proxy.armed.drop = true;
    const outcomes = await Promise.all(
      pulled.map((d) =>
        d.ack().then(
          () => 'acked',
          () => 'failed',
        ),
      ),
    );
    proxy.armed.drop = false;
    // Whatever the client said was acked must not be handed out again after the ack wait.
    const acked = pulled.filter((_, i) => outcomes[i] === 'acked').map((d) => d.event.position);
    await new Promise((r) => setTimeout(r, 1_200));
    const again = (await group.pull({ max: 10, waitMs: 300 })).map((d) => d.event.position);
    expect(again.filter((p) => acked.includes(p))).toEqual([]);
    expect(acked).toHaveLength(5); // and the acks did go through
  });

  it('never hands out a delivery that waited in the buffer past half its ack wait', async () => {
    // A pull whose wait was aborted keeps what arrives late for the next pull. Handed out after
    // its ack wait, the server would already have given the event to someone else as well.
    const group = await log.group('stale', { types: ['s.>'], startAt: 'end', ackWaitMs: 1_000 });
    const abort = new AbortController();
    const waiting = group.pull({ max: 1, waitMs: 2_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    expect(await waiting).toEqual([]);
    const [position] = (await log.append([{ type: 's.late', data: {} }])).map((a) => a.position);
    await new Promise((r) => setTimeout(r, 700)); // the late one sits in the buffer, aging
    const later = await group.pull({ max: 5, waitMs: 1_500 });
    // The stale first delivery is not among them; the event comes as the server's redelivery,
    // its first delivery to a member.
    expect(later.map((d) => [d.event.position, d.deliveryCount])).toEqual([[position, 1]]);
    await Promise.all(later.map((d) => d.ack()));
  });
});
