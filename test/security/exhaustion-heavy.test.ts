import { afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { waitFor } from '../../src/testing/index.js';
import {
  ADMIN_KEY,
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

// The heavy variants of exhaustion.test.ts: the counts of a real attack, under `ulimit -n 1024`.
// Run with `npm run test:security-heavy` (CI does); under plain `npm test` every case is skipped
// with the reason printed. Bounds, not timings, as in the fast tier.
const HEAVY = process.env.HERALD_SECURITY_HEAVY === '1';
const REASON =
  'heavy exhaustion tier: set HERALD_SECURITY_HEAVY=1 (npm run test:security-heavy) to run it; ' +
  'the fast tier (exhaustion.test.ts) runs in npm test';
const LIMIT = 1024;
const SLACK = 20;

/** Skips the case, saying why, unless the heavy tier was asked for. */
function heavyOnly(ctx: TestContext): void {
  if (!HEAVY) ctx.skip(REASON);
}

afterEach(cleanUp);

/** How many of each status, as `401×20 429×1980`. */
function histogram(statuses: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
}

describe('heavy exhaustion tier, under ulimit -n 1024', { timeout: 120_000 }, () => {
  beforeAll(() => {
    if (!HEAVY) console.log(`skipped: ${REASON}`);
  });

  it('closes 2,000 refused upgrades (401, then 429 past the failure limit, 403, 404) held by their clients', async (ctx) => {
    heavyOnly(ctx);
    const hub = await startLimitedHub(LIMIT);
    const before = await expectBaseline(hub, LIMIT);
    const peaks = samplePeaks(hub.pid);
    const kinds = [
      () => upgradeRequest(hub.port, '/v1/ws'),
      () => upgradeRequest(hub.port, '/v1/ws', { authorization: `Bearer wrong-key-${Math.random()}` }),
      () =>
        upgradeRequest(hub.port, '/v1/ws', {
          authorization: `Bearer ${ADMIN_KEY}`,
          origin: 'https://evil.example',
        }),
      () => upgradeRequest(hub.port, '/v1/nowhere', { authorization: `Bearer ${ADMIN_KEY}` }),
    ];
    const refused: HeldSocket[] = [];
    for (let wave = 0; wave < 10; wave++) {
      const sockets = await holdMany(hub, 200, 200, (i) => kinds[i % kinds.length]!());
      await waitFor(() => sockets.every((s) => s.hubClosed()), {
        timeoutMs: 30_000,
        message: `wave ${wave}: the hub did not close every refused upgrade`,
      });
      refused.push(...sockets);
    }
    peaks.stop();
    const statuses = refused.map(statusOf);
    expect(statuses.every((s) => [401, 403, 404, 429].includes(s))).toBe(true);
    expect(statuses).toContain(429);
    const after = await fdsBackTo(hub, before.fds, SLACK, 'refused upgrades');
    expect(peaks.fds).toBeLessThanOrEqual(before.fds + 200 + SLACK);
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('2,000 refused upgrades, clients hold their sockets', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: histogram(statuses),
    });
  });

  it('holds idle SSE streams up to the descriptor limit (1,100 tried), recovers, and stops cleanly', async (ctx) => {
    heavyOnly(ctx);
    const hub = await startLimitedHub(LIMIT);
    const before = await expectBaseline(hub, LIMIT);
    const peaks = samplePeaks(hub.pid);
    const sse = `GET /v1/sse HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\naccept: text/event-stream\r\nauthorization: Bearer ${ADMIN_KEY}\r\n\r\n`;
    const streams = await holdMany(hub, 1_100, 100, () => sse);
    // Past the limit the hub cannot accept: those connections are closed unanswered (EMFILE).
    await waitFor(() => streams.every((s) => statusOf(s) === 200 || s.hubClosed()), {
      timeoutMs: 60_000,
      message: 'some streams were neither accepted nor closed',
    });
    const accepted = streams.filter((s) => statusOf(s) === 200 && !s.hubClosed());
    expect(accepted.length).toBeGreaterThanOrEqual(900);
    expect(peaks.fds).toBeLessThanOrEqual(LIMIT);
    // A tenth leave: the hub answers again.
    for (const s of accepted.slice(0, 100)) s.socket.destroy();
    await waitFor(async () => (await healthz(hub).catch(() => 0)) === 200, {
      timeoutMs: 20_000,
      message: 'the hub did not answer once streams left',
    });
    for (const s of streams) s.socket.destroy();
    const after = await fdsBackTo(hub, before.fds, SLACK, 'idle SSE');
    peaks.stop();
    const last = await holdMany(hub, 200, 100, () => sse);
    await waitFor(() => last.every((s) => statusOf(s) === 200), { timeoutMs: 20_000 });
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    for (const s of last) expect(s.received()).toContain('the hub is shutting down');
    report('1,100 idle SSE streams tried, then 200 open at SIGTERM', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: `${accepted.length} of 1100 accepted, ${streams.length - accepted.length} closed unanswered`,
    });
  });

  it('cuts 800 slowloris sockets (headers and bodies) while /healthz answers', async (ctx) => {
    heavyOnly(ctx);
    const hub = await startLimitedHub(LIMIT, {
      HERALD_HEADERS_TIMEOUT_MS: '2000',
      HERALD_REQUEST_TIMEOUT_MS: '4000',
    });
    const before = await expectBaseline(hub, LIMIT);
    const peaks = samplePeaks(hub.pid);
    const slowHead = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\n`;
    const slowBody =
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\nauthorization: Bearer ${ADMIN_KEY}\r\n` +
      'content-type: application/json\r\ncontent-length: 100000\r\n\r\n[';
    const sockets = await holdMany(hub, 800, 100, (i) => (i % 2 === 0 ? slowHead : slowBody));
    const drip = setInterval(() => {
      sockets.forEach((s, i) => {
        if (!s.hubClosed()) s.socket.write(i % 2 === 0 ? 'x-slow: 1\r\n' : ' ');
      });
    }, 200);
    try {
      expect(await healthz(hub)).toBe(200);
      await waitFor(() => sockets.every((s) => s.hubClosed()), {
        timeoutMs: 60_000,
        message: 'the hub did not cut every slow socket',
      });
    } finally {
      clearInterval(drip);
    }
    peaks.stop();
    expect(new Set(sockets.map(statusOf))).toEqual(new Set([408]));
    const after = await fdsBackTo(hub, before.fds, SLACK, 'slowloris');
    expect(peaks.fds).toBeLessThanOrEqual(before.fds + 800 + SLACK);
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('slowloris: 400 slow headers + 400 slow bodies, timeouts 2 s / 4 s', {
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

  it('bounds a WebSocket that sends 400,000 control messages and reads no reply: closed 1013', async (ctx) => {
    heavyOnly(ctx);
    // The rate limit is raised, so the outbox bound is what stops it (the original attack took
    // the hub from 360 to 620 MiB).
    const hub = await startLimitedHub(LIMIT, {
      HERALD_LIVE__MAX_MESSAGES_PER_SECOND: '10000000',
      HERALD_LIVE__CLOSE_GRACE_MS: '2000',
    });
    const before = await expectBaseline(hub, LIMIT);
    const ws = await rawWs(hub.port, ADMIN_KEY);
    ws.socket.pause();
    const peaks = samplePeaks(hub.pid);
    const sent = await floodControlMessages(ws, 400_000);
    await waitFor(
      async () =>
        (await metric(hub, 'herald_live_disconnects_total', { transport: 'ws', reason: 'slow' })) >= 1,
      { timeoutMs: 30_000, message: 'the socket was not closed as slow' },
    );
    const after = await fdsBackTo(hub, before.fds, SLACK, 'control-message flood');
    peaks.stop();
    expect(peaks.rss).toBeLessThanOrEqual(before.rss + 128);
    ws.socket.resume();
    await waitFor(() => ws.closed(), { timeoutMs: 20_000, message: 'the client never saw its socket end' });
    expect([undefined, 1013]).toContain(ws.closeCode());
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('400,000 control messages, no reply read (rate limit raised)', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: `${sent} of 400000 written; ${ws.texts().length} replies queued before the close; close code seen ${ws.closeCode() ?? 'none (cut)'}`,
    });
  });

  it('closes the same flood with 1008 at the default message rate', async (ctx) => {
    heavyOnly(ctx);
    const hub = await startLimitedHub(LIMIT);
    const before = await expectBaseline(hub, LIMIT);
    const ws = await rawWs(hub.port, ADMIN_KEY);
    const peaks = samplePeaks(hub.pid);
    // This client reads: what stops it is the rate, not its outbox.
    const sent = await floodControlMessages(ws, 400_000);
    await waitFor(() => ws.closed(), { timeoutMs: 30_000, message: 'the socket was not closed' });
    expect(ws.closeCode()).toBe(1008);
    expect(await metric(hub, 'herald_live_disconnects_total', { transport: 'ws', reason: 'limit' })).toBe(1);
    const after = await fdsBackTo(hub, before.fds, SLACK, 'rate-limited flood');
    peaks.stop();
    expect(peaks.rss).toBeLessThanOrEqual(before.rss + 128);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('400,000 control messages at the default rate limit', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: `${sent} of 400000 written; ${ws.texts().length} replies before the close; close code ${ws.closeCode()}`,
    });
  });

  it('disconnects a non-reading WebSocket subscriber and SSE stream at the default backlog (10,000 events)', async (ctx) => {
    heavyOnly(ctx);
    const hub = await startLimitedHub(LIMIT, { HERALD_LIVE__CLOSE_GRACE_MS: '2000' });
    const before = await expectBaseline(hub, LIMIT);
    const ws = await rawWs(hub.port, ADMIN_KEY);
    ws.send(JSON.stringify({ type: 'subscribe', id: 'all', patterns: ['exhaust.>'] }));
    await waitFor(() => ws.texts().some((t) => t.includes('"subscribed"')), { timeoutMs: 10_000 });
    ws.socket.pause();
    const stream = await hold(
      hub,
      `GET /v1/sse?types=exhaust.%3E HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\naccept: text/event-stream\r\nauthorization: Bearer ${ADMIN_KEY}\r\n\r\n`,
    );
    await waitFor(() => statusOf(stream) === 200, { timeoutMs: 10_000 });
    stream.socket.pause();
    const peaks = samplePeaks(hub.pid);
    const slow = async (transport: string) =>
      metric(hub, 'herald_live_disconnects_total', { transport, reason: 'slow' });
    let published = 0;
    while ((await slow('ws')) < 1 || (await slow('sse')) < 1) {
      expect(published, 'the clients were never cut as slow').toBeLessThan(100_000);
      await publishEvents(hub, 'exhaust.both', 1_000, 2_048);
      published += 1_000;
    }
    const after = await fdsBackTo(hub, before.fds, SLACK, 'non-reading clients');
    peaks.stop();
    // The ring keeps the last 10,000 events (about 25 MiB here) for the clients that keep up.
    expect(peaks.rss).toBeLessThanOrEqual(before.rss + 192);
    ws.socket.resume();
    stream.socket.resume();
    await waitFor(() => ws.closed() && stream.hubClosed(), { timeoutMs: 20_000 });
    expect([undefined, 1013]).toContain(ws.closeCode());
    expect(await healthz(hub)).toBe(200);
    const rssAfter = rssMiB(hub.pid);
    const exit = await expectCleanStop(hub);
    report('non-reading WS subscriber + SSE stream, default backlog', {
      limit: LIMIT,
      baselineFds: before.fds,
      peakFds: peaks.fds,
      afterFds: after,
      rssBefore: before.rss,
      rssPeak: peaks.rss,
      rssAfter,
      exit,
      extra: `${published} events of 2 KiB published; WS close code seen ${ws.closeCode() ?? 'none (cut)'}`,
    });
  });
});
