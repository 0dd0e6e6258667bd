import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/testing/index.js';
import {
  ADMIN_KEY,
  fdCount,
  fdsBackTo,
  healthz,
  cleanUp,
  expectBaseline,
  expectCleanStop,
  hold,
  holdMany,
  metric,
  publishEvents,
  report,
  rssMiB,
  samplePeaks,
  startLimitedHub,
} from './helpers/exhaustion-hub.js';
import {
  floodControlMessages,
  rawWs,
  statusOf,
  upgradeRequest,
  type HeldSocket,
} from './helpers/raw-sockets.js';

// The built hub as a process under `ulimit -n 256`, attacked with what exhausts descriptors and
// memory. Bounds, not timings: after each attack the hub holds at most its baseline plus SLACK
// descriptors, answers /healthz, and SIGTERM ends it with exit 0 and "herald stopped".
// Each case prints one line of figures (see docs/security.md).
const LIMIT = 256;
/** Descriptors a hub may hold beyond its baseline once an attack is over. */
const SLACK = 20;
/** Growth of RSS allowed during a case, in MiB. */
const RSS_GROWTH = 96;

afterEach(cleanUp);

describe('refused WebSocket upgrades under ulimit -n 256', { timeout: 60_000 }, () => {
  it('closes every one of 350 refused upgrades (401): descriptors back to baseline, SIGTERM exits 0', async () => {
    const hub = await startLimitedHub(LIMIT, { HERALD_AUTH__FAILURE_LIMIT__MAX: '100000' });
    const before = await expectBaseline(hub, LIMIT);
    const peaks = samplePeaks(hub.pid);
    // Waves of 50 held open by the clients, 350 in all: more than the limit, so each refusal
    // that left its socket open would end in EMFILE before the last wave.
    const refused: HeldSocket[] = [];
    for (let wave = 0; wave < 7; wave++) {
      const sockets = await holdMany(hub, 50, 50, () => upgradeRequest(hub.port, '/v1/ws'));
      await waitFor(() => sockets.every((s) => s.hubClosed()), {
        timeoutMs: 20_000,
        message: `wave ${wave}: the hub did not close every refused upgrade`,
      });
      refused.push(...sockets);
    }
    peaks.stop();
    expect(refused.map(statusOf)).toEqual(refused.map(() => 401));
    const after = await fdsBackTo(hub, before.fds, SLACK, 'refused upgrades');
    expect(peaks.fds).toBeLessThanOrEqual(before.fds + 50 + SLACK);
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('350 refused upgrades (401), clients hold their sockets', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
    });
  });

  it('stops cleanly on SIGTERM right after 4 refused upgrades (401, 401, 403, 404)', async () => {
    const hub = await startLimitedHub(LIMIT);
    const before = await expectBaseline(hub, LIMIT);
    const requests = [
      upgradeRequest(hub.port, '/v1/ws'),
      upgradeRequest(hub.port, '/v1/ws', { authorization: 'Bearer not-the-key-at-all' }),
      upgradeRequest(hub.port, '/v1/ws', {
        authorization: `Bearer ${ADMIN_KEY}`,
        origin: 'https://evil.example',
      }),
      upgradeRequest(hub.port, '/v1/no-such-socket', { authorization: `Bearer ${ADMIN_KEY}` }),
    ];
    const peaks = samplePeaks(hub.pid);
    const sockets = await holdMany(hub, 4, 4, (i) => requests[i]!);
    await waitFor(() => sockets.every((s) => statusOf(s) !== 0), {
      timeoutMs: 20_000,
      message: 'the 4 upgrades were not answered',
    });
    peaks.stop();
    expect(sockets.map(statusOf)).toEqual([401, 401, 403, 404]);
    // No wait for the hub to close them: SIGTERM at once.
    const exit = await expectCleanStop(hub);
    report('4 refused upgrades then SIGTERM', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: 'exited',
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter: peaks.rss,
      exit,
    });
  });
});

describe('slowloris under ulimit -n 256', { timeout: 60_000 }, () => {
  it('cuts 150 sockets that trickle headers or a body (408) while /healthz answers', async () => {
    const hub = await startLimitedHub(LIMIT, {
      HERALD_HEADERS_TIMEOUT_MS: '2000',
      HERALD_REQUEST_TIMEOUT_MS: '3000',
    });
    const before = await expectBaseline(hub, LIMIT);
    const peaks = samplePeaks(hub.pid);
    const slowHead = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\n`;
    const slowBody =
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\nauthorization: Bearer ${ADMIN_KEY}\r\n` +
      'content-type: application/json\r\ncontent-length: 100000\r\n\r\n[';
    const sockets = await holdMany(hub, 150, 50, (i) => (i % 2 === 0 ? slowHead : slowBody));
    const drip = setInterval(() => {
      sockets.forEach((s, i) => {
        if (!s.hubClosed()) s.socket.write(i % 2 === 0 ? 'x-slow: 1\r\n' : ' ');
      });
    }, 100);
    try {
      // Each slow socket holds a descriptor until it is cut (the first ones may already be).
      await waitFor(() => fdCount(hub.pid) >= before.fds + 75, {
        timeoutMs: 10_000,
        message: 'the hub never held the slow sockets',
      });
      expect(await healthz(hub)).toBe(200);
      await waitFor(() => sockets.every((s) => s.hubClosed()), {
        timeoutMs: 30_000,
        message: 'the hub did not cut every slow socket',
      });
    } finally {
      clearInterval(drip);
    }
    peaks.stop();
    expect(new Set(sockets.map(statusOf))).toEqual(new Set([408]));
    const after = await fdsBackTo(hub, before.fds, SLACK, 'slowloris');
    expect(peaks.fds).toBeLessThanOrEqual(before.fds + 150 + SLACK);
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('slowloris: 75 slow headers + 75 slow bodies, timeouts 2 s / 3 s', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
    });
  });
});

describe('idle SSE clients under ulimit -n 256', { timeout: 60_000 }, () => {
  it('holds one descriptor per idle stream, frees them when they leave, and ends the rest on SIGTERM', async () => {
    // Short request timeouts: an idle stream outlives them (its request has no body).
    const hub = await startLimitedHub(LIMIT, {
      HERALD_HEADERS_TIMEOUT_MS: '500',
      HERALD_REQUEST_TIMEOUT_MS: '1000',
    });
    const before = await expectBaseline(hub, LIMIT);
    const peaks = samplePeaks(hub.pid);
    const sse = `GET /v1/sse HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\naccept: text/event-stream\r\nauthorization: Bearer ${ADMIN_KEY}\r\n\r\n`;
    const streams = await holdMany(hub, 150, 50, () => sse);
    await waitFor(() => streams.every((s) => statusOf(s) === 200), {
      timeoutMs: 20_000,
      message: 'not every stream was accepted',
    });
    // A trickled body is cut after the request timeout; the idle streams are not.
    const sentinel = await hold(
      hub,
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n[`,
    );
    await waitFor(() => sentinel.hubClosed(), { timeoutMs: 20_000, message: 'the sentinel was not cut' });
    expect(streams.filter((s) => s.hubClosed())).toHaveLength(0);
    // One descriptor per stream (the baseline counted a few that come and go).
    expect(fdCount(hub.pid)).toBeGreaterThanOrEqual(before.fds + 150 - 5);
    expect(await healthz(hub)).toBe(200);
    for (const s of streams) s.socket.destroy();
    const after = await fdsBackTo(hub, before.fds, SLACK, 'idle SSE');
    peaks.stop();
    expect(peaks.fds).toBeLessThanOrEqual(before.fds + 150 + SLACK);
    // Twenty more, left open at SIGTERM: each is told the hub is shutting down.
    const last = await holdMany(hub, 20, 20, () => sse);
    await waitFor(() => last.every((s) => statusOf(s) === 200), { timeoutMs: 20_000 });
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    for (const s of last) expect(s.received()).toContain('the hub is shutting down');
    report('150 idle SSE streams, then 20 open at SIGTERM', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
    });
  });
});

describe('clients that never read, under ulimit -n 256', { timeout: 60_000 }, () => {
  // A small backlog and grace, so a few MiB of events make a client slow and its socket is freed soon.
  const env = { HERALD_LIVE__MAX_BACKLOG: '500', HERALD_LIVE__CLOSE_GRACE_MS: '1000' };

  it('closes a WebSocket subscriber that does not read as slow (1013) and frees it', async () => {
    const hub = await startLimitedHub(LIMIT, env);
    const before = await expectBaseline(hub, LIMIT);
    const ws = await rawWs(hub.port, ADMIN_KEY);
    ws.send(JSON.stringify({ type: 'subscribe', id: 'all', patterns: ['exhaust.>'] }));
    await waitFor(() => ws.texts().some((t) => t.includes('"subscribed"')), { timeoutMs: 10_000 });
    ws.socket.pause();
    const peaks = samplePeaks(hub.pid);
    let published = 0;
    while ((await metric(hub, 'herald_live_disconnects_total', { transport: 'ws', reason: 'slow' })) < 1) {
      expect(published, 'the subscriber was never cut as slow').toBeLessThan(50_000);
      await publishEvents(hub, 'exhaust.ws', 500, 2_048);
      published += 500;
    }
    const after = await fdsBackTo(hub, before.fds, SLACK, 'non-reading WebSocket');
    peaks.stop();
    expect(peaks.rss).toBeLessThanOrEqual(before.rss + RSS_GROWTH);
    ws.socket.resume();
    await waitFor(() => ws.closed(), { timeoutMs: 20_000, message: 'the client never saw its socket end' });
    // The close frame is read when it reached the client before the hub cut the socket.
    expect([undefined, 1013]).toContain(ws.closeCode());
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('WebSocket subscriber that never reads', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: `${published} events of 2 KiB published; close code seen ${ws.closeCode() ?? 'none (cut)'}`,
    });
  });

  it('ends an SSE stream that does not read as slow and frees it', async () => {
    const hub = await startLimitedHub(LIMIT, env);
    const before = await expectBaseline(hub, LIMIT);
    const stream = await hold(
      hub,
      `GET /v1/sse?types=exhaust.%3E HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\naccept: text/event-stream\r\nauthorization: Bearer ${ADMIN_KEY}\r\n\r\n`,
    );
    await waitFor(() => statusOf(stream) === 200, { timeoutMs: 10_000 });
    stream.socket.pause();
    const peaks = samplePeaks(hub.pid);
    let published = 0;
    while ((await metric(hub, 'herald_live_disconnects_total', { transport: 'sse', reason: 'slow' })) < 1) {
      expect(published, 'the stream was never cut as slow').toBeLessThan(50_000);
      await publishEvents(hub, 'exhaust.sse', 500, 2_048);
      published += 500;
    }
    const after = await fdsBackTo(hub, before.fds, SLACK, 'non-reading SSE');
    peaks.stop();
    expect(peaks.rss).toBeLessThanOrEqual(before.rss + RSS_GROWTH);
    stream.socket.resume();
    await waitFor(() => stream.hubClosed(), { timeoutMs: 20_000, message: 'the stream never ended' });
    const told = stream.received().includes(': herald: disconnected');
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('SSE stream that never reads', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: `${published} events of 2 KiB published; "disconnected" comment ${told ? 'read' : 'not flushed (cut)'}`,
    });
  });

  it('closes a WebSocket that sends 40,000 control messages and reads no reply (1013)', async () => {
    // The message rate limit is raised so that the outbox bound is what stops this client.
    const hub = await startLimitedHub(LIMIT, { ...env, HERALD_LIVE__MAX_MESSAGES_PER_SECOND: '10000000' });
    const before = await expectBaseline(hub, LIMIT);
    const ws = await rawWs(hub.port, ADMIN_KEY);
    ws.socket.pause();
    const peaks = samplePeaks(hub.pid);
    const sent = await floodControlMessages(ws, 40_000);
    await waitFor(
      async () =>
        (await metric(hub, 'herald_live_disconnects_total', { transport: 'ws', reason: 'slow' })) >= 1,
      { timeoutMs: 20_000, message: 'the socket was not closed as slow' },
    );
    const after = await fdsBackTo(hub, before.fds, SLACK, 'control-message flood');
    peaks.stop();
    expect(peaks.rss).toBeLessThanOrEqual(before.rss + RSS_GROWTH);
    ws.socket.resume();
    await waitFor(() => ws.closed(), { timeoutMs: 20_000, message: 'the client never saw its socket end' });
    expect([undefined, 1013]).toContain(ws.closeCode());
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('WebSocket flooding control messages, reading no reply', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: `${sent} of 40000 written; ${ws.texts().length} replies queued before the close; close code seen ${ws.closeCode() ?? 'none (cut)'}`,
    });
  });
});
