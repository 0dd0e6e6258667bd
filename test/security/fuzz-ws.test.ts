/**
 * WebSocket protocol: every message a client sends gets a reply, whatever it follows and however
 * many events the socket is catching up on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../../src/testing/wait-for.js';
import { securityHub, type SecurityHub } from './fuzz-helpers/security-hub.js';

interface Session {
  ws: WebSocket;
  received: Record<string, unknown>[];
  /** Frames that were not JSON objects (must never happen). */
  garbage: string[];
  closed: { code: number; reason: string } | undefined;
}

async function open(base: string, key: string | undefined): Promise<Session> {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`, { headers });
  const session: Session = { ws, received: [], garbage: [], closed: undefined };
  ws.on('message', (data: Buffer, isBinary) => {
    const text = data.toString('utf8');
    try {
      const parsed = JSON.parse(text) as unknown;
      if (isBinary || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        session.garbage.push(text);
      else session.received.push(parsed as Record<string, unknown>);
    } catch {
      session.garbage.push(text);
    }
  });
  ws.on('close', (code, reason) => (session.closed = { code, reason: reason.toString('utf8') }));
  // A raw write that breaks the framing makes the client's own parser fail too.
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return session;
}

describe('a subscribe unsubscribed before it started (found by the fuzz)', () => {
  let hub: SecurityHub;
  beforeAll(async () => {
    hub = await securityHub('sqlite', { shutdownGraceMs: 500 });
  });
  afterAll(() => hub.stop());

  it('is answered subscribed, then unsubscribed; a failed start with its error, then unsubscribed', async () => {
    const s = await open(hub.base, undefined);
    try {
      // Sent together: the unsubscribe arrives while the subscribe waits for the log.
      s.ws.send(JSON.stringify({ type: 'subscribe', id: 'quick', from: 'end' }));
      s.ws.send(JSON.stringify({ type: 'unsubscribe', id: 'quick' }));
      s.ws.send(JSON.stringify({ type: 'subscribe', id: 'past-end', lastEventId: '999999999999' }));
      s.ws.send(JSON.stringify({ type: 'subscribe', id: 'bad-time', from: '2026-02-30T00:00:00Z' }));
      s.ws.send(JSON.stringify({ type: 'unsubscribe', id: 'bad-time' }));
      await waitFor(() => s.received.length >= 5, { message: 'five replies' });
      const replies = (id: string) => s.received.filter((m) => m.id === id).map((m) => m.type);
      expect(replies('quick')).toEqual(['subscribed', 'unsubscribed']);
      expect(replies('bad-time')).toEqual(['error', 'unsubscribed']);
      expect(s.received.find((m) => m.id === 'bad-time')).toMatchObject({ code: 'INVALID_QUERY' });
      // The subscription is gone: its id can be used again, and a second unsubscribe finds nothing.
      s.ws.send(JSON.stringify({ type: 'unsubscribe', id: 'quick' }));
      await waitFor(() => s.received.some((m) => m.code === 'SUBSCRIPTION_NOT_FOUND'));
    } finally {
      s.ws.terminate();
    }
  });
});

describe('a client that reads while ten subscriptions catch up (found by the fuzz)', () => {
  let hub: SecurityHub;
  beforeAll(async () => {
    hub = await securityHub('memory', { shutdownGraceMs: 500, live: { closeGraceMs: 500 } });
    // 5 MB of events: more than the kernel's socket buffers take, so the hub's own queue grows.
    for (let i = 0; i < 5; i++) {
      await hub.log.append(
        Array.from({ length: 1_000 }, () => ({ type: 'fill.x', data: 'x'.repeat(1_000) })),
      );
    }
  });
  afterAll(() => hub.stop());

  it('is answered, not closed 1013, when the events queued pass 1 MiB', async () => {
    const s = await open(hub.base, undefined);
    try {
      // A slow link: nothing is read for a while, so every subscription's replay queues a batch.
      s.ws.pause();
      for (let i = 0; i < 10; i++)
        s.ws.send(JSON.stringify({ type: 'subscribe', id: `s${i}`, from: 'start' }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // One message: its reply waits behind some MiB of events, which the client is about to read.
      s.ws.send(JSON.stringify({ type: 'publish', ref: 'one', event: { type: 'other.x' } }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      s.ws.resume();
      await waitFor(() => s.received.some((m) => m.ref === 'one') || s.closed !== undefined, {
        timeoutMs: 20_000,
        message: 'the ack',
      });
      expect(s.closed).toBeUndefined();
      expect(s.received.find((m) => m.ref === 'one')).toMatchObject({ type: 'ack', position: 5_001 });
    } finally {
      s.ws.terminate();
    }
  });
});

describe('a subscriber that breaks the protocol (found by the fuzz)', () => {
  let hub: SecurityHub;
  beforeAll(async () => {
    hub = await securityHub('memory', {
      shutdownGraceMs: 500,
      live: { maxMessageBytes: 64 * 1024, closeGraceMs: 500 },
    });
    await hub.log.append(Array.from({ length: 2_000 }, () => ({ type: 'fill.x', data: 'x'.repeat(1_000) })));
  });
  afterAll(() => hub.stop());

  const breaches: [string, (ws: WebSocket) => void, number][] = [
    ['a message over maxMessageBytes', (ws) => ws.send('x'.repeat(70_000)), 1009],
    ['a text frame that is not UTF-8', (ws) => ws.send(Buffer.from([0xff, 0xfe]), { binary: false }), 1007],
  ];
  it.each(breaches)(
    'gets the close code for %s, not a cut connection, with events on their way',
    async (_name, breach, code) => {
      for (let round = 0; round < 5; round++) {
        const s = await open(hub.base, undefined);
        try {
          s.ws.send(JSON.stringify({ type: 'subscribe', id: 'all', from: 'start' }));
          await waitFor(() => s.received.some((m) => m.type === 'event'));
          breach(s.ws);
          await waitFor(() => s.closed !== undefined, { message: 'the close' });
          expect(s.closed!.code).toBe(code);
        } finally {
          s.ws.terminate();
        }
      }
    },
  );
});
