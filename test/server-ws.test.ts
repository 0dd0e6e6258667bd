import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryLog } from '../src/backends/memory/index.js';
import { principal } from '../src/server/auth/principal.js';
import { waitFor } from '../src/testing/wait-for.js';
import { metricValue, publish, range, startHub, type TestHub } from './helpers/sse-hub.js';

// A real listening hub and the `ws` client; every exchange is waited for as a condition.
type Message = Record<string, unknown> & { type: string };

interface Client {
  readonly ws: WebSocket;
  readonly messages: Message[];
  readonly close: { code: number; reason: string } | undefined;
  send(message: unknown): void;
  /** Waits for the first message (from `from` on) that matches, and returns it. */
  next(match: (m: Message) => boolean, from?: number): Promise<Message>;
  events(subscription: string): Message[];
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function hub(options: Parameters<typeof startHub>[0]): Promise<TestHub> {
  const started = await startHub(options);
  cleanup.push(async () => {
    await started.app.close();
    await options.log.close();
  });
  return started;
}

async function connect(base: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`, options);
  cleanup.push(() => ws.terminate());
  const messages: Message[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Message));
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString('utf8') }));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    get close() {
      return closed;
    },
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: (match, from = 0) =>
      waitFor(() => messages.slice(from).find(match), {
        message: 'the expected message',
      }) as Promise<Message>,
    events: (subscription) => messages.filter((m) => m.type === 'event' && m.subscription === subscription),
  };
}

const positions = (events: Message[]) => events.map((m) => m.position as number);

describe('GET /v1/ws', () => {
  it('subscribes, then delivers each matching event with its subscription and position', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(base, [{ type: 'orders.old' }]);
    const c = await connect(base);
    c.send({ type: 'subscribe', id: 'o', patterns: ['orders.>'] });
    const subscribed = await c.next((m) => m.type === 'subscribed');
    expect(subscribed).toEqual({ type: 'subscribed', id: 'o', patterns: ['orders.>'], after: 1 });
    const stored = await publish(base, [
      { type: 'orders.created', data: { n: 1 } },
      { type: 'users.x' },
      { type: 'orders.paid' },
    ]);
    await waitFor(() => c.events('o').length === 2);
    const [first, second] = c.events('o');
    expect(first).toMatchObject({ type: 'event', subscription: 'o', position: stored[0] });
    expect(first!.event).toMatchObject({ type: 'orders.created', data: { n: 1 }, position: stored[0] });
    expect(second).toMatchObject({ position: stored[2], event: { type: 'orders.paid' } });
  });

  it('holds several subscriptions on one socket and unsubscribes one of them', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = await connect(base);
    c.send({ type: 'subscribe', id: 'a', patterns: ['a.*'] });
    c.send({ type: 'subscribe', id: 'all' });
    await c.next((m) => m.type === 'subscribed' && m.id === 'a');
    await c.next((m) => m.type === 'subscribed' && m.id === 'all');
    await publish(base, [{ type: 'a.one' }, { type: 'b.one' }]);
    await waitFor(() => c.events('a').length === 1 && c.events('all').length === 2);
    c.send({ type: 'unsubscribe', id: 'a' });
    await c.next((m) => m.type === 'unsubscribed' && m.id === 'a');
    await publish(base, [{ type: 'a.two' }]);
    await waitFor(() => c.events('all').length === 3);
    expect(positions(c.events('a'))).toEqual([1]);
    c.send({ type: 'unsubscribe', id: 'a' });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({
      id: 'a',
      code: 'SUBSCRIPTION_NOT_FOUND',
    });
  });

  it('resumes with lastEventId and starts from start or a position: exactly the events after it', async () => {
    const { base } = await hub({ log: memoryLog() });
    await publish(
      base,
      Array.from({ length: 10 }, () => ({ type: 'x.y' })),
    );
    const c = await connect(base);
    c.send({ type: 'subscribe', id: 'resume', lastEventId: '6' });
    c.send({ type: 'subscribe', id: 'number', lastEventId: 8 });
    c.send({ type: 'subscribe', id: 'start', from: 'start' });
    c.send({ type: 'subscribe', id: 'position', from: '10' });
    await waitFor(() => c.events('start').length === 10);
    await publish(base, [{ type: 'x.y' }]);
    await waitFor(() => c.events('start').length === 11 && c.events('position').length === 2);
    await waitFor(() => c.events('resume').length === 5 && c.events('number').length === 3);
    expect(positions(c.events('resume'))).toEqual(range(7, 11));
    expect(positions(c.events('number'))).toEqual(range(9, 11));
    expect(positions(c.events('start'))).toEqual(range(1, 11));
    expect(positions(c.events('position'))).toEqual([10, 11]);
  });

  it('says in subscribed which positions retention deleted, and starts from the oldest kept', async () => {
    const log = memoryLog({ retention: { maxEvents: 3 } });
    const { base } = await hub({ log });
    await publish(
      base,
      Array.from({ length: 8 }, () => ({ type: 'x.y' })),
    );
    await log.applyRetention();
    const c = await connect(base);
    c.send({ type: 'subscribe', id: 'r', lastEventId: 1 });
    expect(await c.next((m) => m.type === 'subscribed')).toMatchObject({
      after: 1,
      lost: { from: 2, to: 5 },
    });
    await waitFor(() => c.events('r').length === 3);
    expect(positions(c.events('r'))).toEqual([6, 7, 8]);
  });

  it('publishes: acks with the position, the event reaches subscribers, a duplicate id and a version conflict are reported', async () => {
    const { base } = await hub({ log: memoryLog() });
    const c = await connect(base);
    c.send({ type: 'subscribe', id: 's', patterns: ['orders.*'] });
    await c.next((m) => m.type === 'subscribed');
    c.send({ type: 'publish', ref: 1, event: { type: 'orders.created', data: { id: 'o-1' } } });
    const ack = await c.next((m) => m.type === 'ack' && m.ref === 1);
    expect(ack).toMatchObject({ position: 1, stream: null, version: null, duplicate: false });
    await waitFor(() => c.events('s').length === 1);
    const [delivered] = c.events('s');
    expect(delivered!.event).toMatchObject({ id: ack.id, type: 'orders.created', data: { id: 'o-1' } });
    const cloudEvent = { specversion: '1.0', id: 'ce-1', source: '/shop', type: 'orders.paid' };
    c.send({
      type: 'publish',
      ref: 'two',
      event: cloudEvent,
      stream: 'order-1',
      expectedVersion: 'no_stream',
    });
    expect(await c.next((m) => m.ref === 'two')).toMatchObject({
      type: 'ack',
      id: 'ce-1',
      stream: 'order-1',
      version: 1,
    });
    c.send({ type: 'publish', ref: 3, event: cloudEvent });
    expect(await c.next((m) => m.ref === 3)).toMatchObject({ type: 'ack', id: 'ce-1', duplicate: true });
    c.send({
      type: 'publish',
      ref: 4,
      event: { type: 'orders.paid' },
      stream: 'order-1',
      expectedVersion: 0,
    });
    expect(await c.next((m) => m.ref === 4)).toMatchObject({
      type: 'error',
      code: 'CONCURRENCY_CONFLICT',
      details: { expected: 0, actual: 1 },
    });
    c.send({ type: 'publish', ref: 5, event: { type: 'orders..bad' } });
    expect(await c.next((m) => m.ref === 5)).toMatchObject({ type: 'error', code: 'INVALID_TYPE' });
  });

  it('refuses a publish or a subscription outside the grants, and the socket stays open', async () => {
    const { base } = await hub({
      log: memoryLog(),
      setup: (app) =>
        app.addHook('onRequest', (request, _reply, done) => {
          request.principal = principal({ id: 'shop', publish: ['orders.*'], subscribe: ['orders.*'] });
          done();
        }),
    });
    const c = await connect(base);
    c.send({ type: 'publish', ref: 1, event: { type: 'payments.done' } });
    expect(await c.next((m) => m.ref === 1)).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
      details: { type: 'payments.done' },
    });
    c.send({ type: 'subscribe', id: 'p', patterns: ['payments.>'] });
    expect(await c.next((m) => m.id === 'p')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    c.send({ type: 'subscribe', id: 'mine' });
    expect(await c.next((m) => m.id === 'mine')).toMatchObject({
      type: 'subscribed',
      patterns: ['orders.*'],
    });
    c.send({ type: 'publish', ref: 2, event: { type: 'orders.created' } });
    await c.next((m) => m.ref === 2 && m.type === 'ack');
    await waitFor(() => c.events('mine').length === 1);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('answers an invalid message with an error naming the problem and keeps the socket open', async () => {
    const { base } = await hub({ log: memoryLog(), live: { maxSubscriptions: 2 } });
    const c = await connect(base);
    const cases: [unknown, string, Record<string, unknown>][] = [
      ['{not json', 'INVALID_MESSAGE', { field: 'message' }],
      [[1, 2], 'INVALID_MESSAGE', { field: 'message' }],
      [{ type: 'dance' }, 'INVALID_MESSAGE', { field: 'type', value: 'dance' }],
      [{ type: 'subscribe' }, 'INVALID_MESSAGE', { field: 'id' }],
      [{ type: 'subscribe', id: 'x', patterns: 'a.b' }, 'INVALID_MESSAGE', { field: 'patterns' }],
      [{ type: 'subscribe', id: 'x', patterns: ['a.>.b'] }, 'INVALID_PATTERN', { pattern: 'a.>.b' }],
      [{ type: 'subscribe', id: 'x', from: 'soon' }, 'INVALID_QUERY', { parameter: 'from' }],
      [{ type: 'publish', ref: 9, event: 'x' }, 'INVALID_MESSAGE', { field: 'event' }],
      [{ type: 'publish', event: {}, expectedVersion: 1 }, 'INVALID_MESSAGE', { field: 'expectedVersion' }],
    ];
    for (const [message, code, details] of cases) {
      const at = c.messages.length;
      c.send(message);
      const reply = await c.next(() => true, at);
      expect(reply, JSON.stringify(message)).toMatchObject({ type: 'error', code, details });
    }
    c.send({ type: 'subscribe', id: 'one' });
    c.send({ type: 'subscribe', id: 'one' });
    expect(await c.next((m) => m.type === 'error' && m.id === 'one')).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    c.send({ type: 'subscribe', id: 'two' });
    c.send({ type: 'subscribe', id: 'three' });
    expect(await c.next((m) => m.id === 'three')).toMatchObject({ type: 'error', details: { limit: 2 } });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('terminates a peer that stops answering pings and keeps one that answers', async () => {
    const { base, metrics } = await hub({ log: memoryLog(), live: { keepAliveMs: 20 } });
    const silent = await connect(base, { autoPong: false });
    const healthy = await connect(base);
    let pings = 0;
    healthy.ws.on('ping', () => pings++);
    await waitFor(() => silent.close !== undefined, { message: 'the silent peer was not cut' });
    expect(silent.close!.code).toBe(1006);
    await waitFor(() => pings >= 5);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    expect(
      await metricValue(metrics, 'herald_live_disconnects_total', { transport: 'ws', reason: 'error' }),
    ).toBe(1);
  });

  it('closes a socket that falls more than maxBacklog events behind with 1013; it resumes without loss', async () => {
    const { base, metrics } = await hub({ log: memoryLog(), live: { maxBacklog: 20, closeGraceMs: 30_000 } });
    const slow = await connect(base);
    const fast = await connect(base);
    for (const c of [slow, fast]) {
      c.send({ type: 'subscribe', id: 's', from: 'start' });
      await c.next((m) => m.type === 'subscribed');
    }
    slow.ws.pause();
    const big = 'x'.repeat(64 * 1024);
    let last = 0;
    for (let i = 0; i < 2_000; i++) {
      last = (await publish(base, [{ type: 'orders.created', data: { i, big } }]))[0]!;
      if (
        (await metricValue(metrics, 'herald_live_disconnects_total', { transport: 'ws', reason: 'slow' })) > 0
      )
        break;
    }
    expect(await metricValue(metrics, 'herald_live_disconnects_total', { reason: 'slow' })).toBe(1);
    await waitFor(() => fast.events('s').length === last);
    expect(positions(fast.events('s'))).toEqual(range(1, last));
    slow.ws.resume();
    await waitFor(() => slow.close !== undefined, { message: 'the slow socket was not closed' });
    expect(slow.close!.code).toBe(1013);
    expect(slow.close!.reason).toMatch(/^herald: \d+ events behind; resubscribe with lastEventId$/);
    const got = positions(slow.events('s'));
    expect(got).toEqual(range(1, got.length));
    const again = await connect(base);
    again.send({ type: 'subscribe', id: 's', lastEventId: got.at(-1) });
    await waitFor(() => again.events('s').length === last - got.length);
    expect(positions(again.events('s'))).toEqual(range(got.length + 1, last));
  });

  it('closes every socket with 1012 (service restart) on app.close()', async () => {
    const log = memoryLog();
    cleanup.push(() => log.close());
    const { app, base, metrics } = await startHub({ log });
    const clients = [await connect(base), await connect(base)];
    clients[0]!.send({ type: 'subscribe', id: 's' });
    await clients[0]!.next((m) => m.type === 'subscribed');
    await app.close();
    await waitFor(() => clients.every((c) => c.close !== undefined));
    for (const c of clients) expect(c.close!.code).toBe(1012);
    expect(
      await metricValue(metrics, 'herald_live_disconnects_total', { transport: 'ws', reason: 'shutdown' }),
    ).toBe(2);
  });
});

/** An upgrade request on a raw socket that the client never ends: says whether the hub closed it. */
function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}) {
  const socket = net.connect(port, '127.0.0.1');
  cleanup.push(() => {
    socket.destroy();
  });
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${lines.join('')}\r\n`,
  );
  let received = '';
  let ended = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('end', () => (ended = true));
  return {
    get status() {
      return /^HTTP\/1\.1 (\d+)/.exec(received)?.[1];
    },
    get ended() {
      return ended;
    },
  };
}

const connections = (app: TestHub['app']) =>
  new Promise<number>((resolve, reject) =>
    app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

describe('GET /v1/ws refusals', () => {
  it('closes the socket of every refused upgrade (401, 403, 404, 429) and the hub closes with none left', async () => {
    const log = memoryLog();
    cleanup.push(() => log.close());
    const { app, port } = await startHub({
      log,
      auth: { keys: [{ name: 'ops', key: 'ops-key-1234', admin: true }] },
      // Long enough that only closing the refused sockets lets app.close() finish in the test.
      live: { closeGraceMs: 60_000 },
      shutdownGraceMs: 60_000,
    });
    const token = { authorization: 'Bearer ops-key-1234' };
    const accepted = await connect(`http://127.0.0.1:${port}`, { headers: token });
    // With a good token first: past the failed-auth limit every request from the address is 429.
    const withToken = [
      rawUpgrade(port, '/v1/ws', { ...token, origin: 'http://evil.example' }),
      rawUpgrade(port, '/nowhere', token),
    ];
    await waitFor(() => withToken.every((r) => r.ended), { message: 'the hub closed the refused sockets' });
    expect(withToken.map((r) => r.status)).toEqual(['403', '404']);
    const refused = [
      ...range(1, 30).map(() => rawUpgrade(port, '/v1/ws')),
      rawUpgrade(port, '/v1/ws?access_token=wrong-key-123'),
      rawUpgrade(port, '/nowhere'),
    ];
    await waitFor(() => refused.every((r) => r.ended), { message: 'the hub closed the refused sockets' });
    expect(new Set(refused.map((r) => r.status))).toEqual(new Set(['401', '429']));
    // Only the accepted socket is left.
    await waitFor(async () => (await connections(app)) === 1);
    await app.close();
    expect(accepted.close?.code).toBe(1012);
  });
});

describe('GET /v1/ws limits', () => {
  it('closes with 1013 a socket that sends control messages and never reads the replies', async () => {
    const { base, metrics } = await hub({
      log: memoryLog(),
      live: { maxMessagesPerSecond: 1_000_000_000, closeGraceMs: 60_000 },
    });
    const c = await connect(base);
    c.ws.pause();
    const bad = JSON.stringify({ type: 'subscribe', id: 'x', patterns: ['a.>.b'] });
    const slow = () =>
      metricValue(metrics, 'herald_live_disconnects_total', { transport: 'ws', reason: 'slow' });
    // The kernel's buffers on both ends take a few MiB of replies before the hub's own queue grows.
    let sent = 0;
    while (sent < 400_000 && (await slow()) === 0) {
      for (let i = 0; i < 2_000; i++) c.ws.send(bad);
      sent += 2_000;
      await new Promise<void>((resolve) => c.ws.send(bad, () => resolve()));
    }
    expect(await slow()).toBe(1);
    c.ws.resume();
    await waitFor(() => c.close !== undefined, { message: 'the close frame behind the replies' });
    expect(c.close).toEqual({
      code: 1013,
      reason: expect.stringMatching(/^herald: over 1048576 bytes unread/),
    });
    expect(c.messages.length).toBeLessThan(sent);
    expect(c.messages.every((m) => m.type === 'error' && m.code === 'INVALID_PATTERN')).toBe(true);
  });

  it('closes with 1008 a socket that sends more than maxMessagesPerSecond', async () => {
    const { base, metrics } = await hub({ log: memoryLog(), live: { maxMessagesPerSecond: 5 } });
    const c = await connect(base);
    for (let i = 0; i < 50; i++) c.send({ type: 'unsubscribe', id: `s${i}` });
    await waitFor(() => c.close !== undefined, { message: 'the socket over the rate closed' });
    expect(c.close).toEqual({
      code: 1008,
      reason: 'herald: more than 5 messages a second; slow down and reconnect',
    });
    // The burst was answered; nothing after the limit was.
    expect(c.messages.length).toBeGreaterThanOrEqual(5);
    expect(c.messages.length).toBeLessThan(50);
    expect(
      await metricValue(metrics, 'herald_live_disconnects_total', { transport: 'ws', reason: 'limit' }),
    ).toBe(1);
  });
});
