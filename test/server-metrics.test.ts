import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { principal } from '../src/server/auth/principal.js';
import { createServer } from '../src/server/index.js';
import { createHubMetrics } from '../src/server/metrics.js';

// Real listening servers, scraped over HTTP like Prometheus does.
const servers: FastifyInstance[] = [];
const logs: EventLog[] = [];

async function start(options: { metricsPublic?: boolean; reader?: boolean } = {}) {
  const log = memoryLog();
  const app = createServer({ log, ...(options.metricsPublic === true && { metricsPublic: true }) });
  const configs: Record<string, unknown>[] = [];
  app.addHook('preHandler', (request, _reply, done) => {
    configs.push({ ...request.routeOptions.config });
    if (options.reader === true) request.principal = principal({ id: 'reader', subscribe: ['>'] });
    done();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  servers.push(app);
  logs.push(log);
  return { app, log, base: `http://127.0.0.1:${address.port}`, configs };
}
afterAll(async () => {
  for (const app of servers) await app.close();
  for (const log of logs) await log.close();
});

/** One sample of the Prometheus text format: `name{a="b",...} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

async function scrape(base: string): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

describe('GET /metrics', () => {
  let hub: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    hub = await start();
  });

  it('counts published events by type and HTTP requests by route, method and status', async () => {
    for (const type of ['order.created', 'order.created', 'order.paid']) {
      const res = await fetch(`${hub.base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type }),
      });
      expect(res.status).toBe(201);
    }
    const samples = await scrape(hub.base);
    expect(value(samples, 'herald_events_published_total', { type: 'order.created' })).toBe(2);
    expect(value(samples, 'herald_events_published_total', { type: 'order.paid' })).toBe(1);
    expect(
      value(samples, 'herald_http_request_duration_seconds_count', {
        route: '/v1/events',
        method: 'POST',
        status: '201',
      }),
    ).toBe(3);
    expect(value(samples, 'herald_live_clients', { transport: 'sse' })).toBe(0);
    expect(value(samples, 'herald_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it("reports the log's last position and, per group, lag, pending and dead letters", async () => {
    const appended = await hub.log.append([
      { type: 'job.a' },
      { type: 'job.b' },
      { type: 'job.c' },
      { type: 'job.d' },
    ]);
    const last = appended[3]!.position;
    const group = await hub.log.group('g', { startAt: appended[0]!.position, maxDeliveries: 1 });
    const [dead, held] = await group.pull({ max: 2 });
    await dead!.nack({ error: 'boom' }); // maxDeliveries 1: dead-lettered at once
    expect(held).toBeDefined(); // delivered, not acked: pending
    await hub.log.group('idle', { startAt: 'end' });

    const samples = await scrape(hub.base);
    expect(value(samples, 'herald_log_up')).toBe(1);
    expect(value(samples, 'herald_log_last_position')).toBe(last);
    expect(value(samples, 'herald_groups')).toBe(2);
    expect(value(samples, 'herald_group_dead_letters', { group: 'g' })).toBe(1);
    expect(value(samples, 'herald_group_pending', { group: 'g' })).toBe(1);
    expect(value(samples, 'herald_group_lag', { group: 'g' })).toBe(2);
    expect(value(samples, 'herald_group_lag', { group: 'idle' })).toBe(0);

    // Gauges follow the log from one scrape to the next.
    await held!.ack();
    await group.redrive();
    const next = await scrape(hub.base);
    expect(value(next, 'herald_group_dead_letters', { group: 'g' })).toBe(0);
    expect(value(next, 'herald_group_pending', { group: 'g' })).toBe(1);
  });

  it('never creates a group while scraping', async () => {
    const before = await hub.log.groups();
    await scrape(hub.base);
    expect(await hub.log.groups()).toEqual(before);
  });
});

describe('who may scrape', () => {
  it('is admins only by default: a reader gets 403 FORBIDDEN, and the route is not public', async () => {
    const hub = await start({ reader: true });
    const res = await fetch(`${hub.base}/metrics`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect(hub.configs.at(-1)?.public).toBeUndefined();
  });

  it('is anyone with metricsPublic, and the route is marked public for the auth hook', async () => {
    const hub = await start({ reader: true, metricsPublic: true });
    const samples = await scrape(hub.base);
    expect(value(samples, 'herald_log_up')).toBe(1);
    expect(hub.configs.at(-1)?.public).toBe(true);
  });
});

describe('createHubMetrics', () => {
  it('works with no arguments and reports no log gauges until a log is watched', async () => {
    const metrics = createHubMetrics();
    metrics.published('a.b');
    metrics.delivered('sse', 'a.b', 3);
    const text = await metrics.registry.metrics();
    expect(value(parse(text), 'herald_events_published_total', { type: 'a.b' })).toBe(1);
    expect(value(parse(text), 'herald_events_delivered_total', { transport: 'sse', type: 'a.b' })).toBe(3);
    expect(text).not.toContain('herald_log_last_position');
    const log = memoryLog();
    logs.push(log);
    await log.append([{ type: 'x.y' }]);
    metrics.watchLog(log);
    expect(value(parse(await metrics.registry.metrics()), 'herald_log_last_position')).toBe(1);
  });

  it('reads the groups of a SQLite log, following them from scrape to scrape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-metrics-'));
    const log = await sqliteLog({ path: join(dir, 'events.db') });
    try {
      await log.append([{ type: 'sq.a' }, { type: 'sq.b' }, { type: 'sq.c' }]);
      const group = await log.group('sq', { startAt: 'start', maxDeliveries: 1 });
      const metrics = createHubMetrics({ log, defaultMetrics: false });
      let samples = parse(await metrics.registry.metrics());
      expect(value(samples, 'herald_log_last_position')).toBe(3);
      expect(value(samples, 'herald_group_lag', { group: 'sq' })).toBe(3);
      const [first] = await group.pull();
      await first!.nack({ deadLetter: true, error: 'bad' });
      samples = parse(await metrics.registry.metrics());
      expect(value(samples, 'herald_group_lag', { group: 'sq' })).toBe(2);
      expect(value(samples, 'herald_group_dead_letters', { group: 'sq' })).toBe(1);
      expect(await log.groups()).toEqual(['sq']);
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports herald_log_up 0 instead of failing the scrape when the log is closed', async () => {
    const log = memoryLog();
    await log.group('gone', { startAt: 'start' });
    const metrics = createHubMetrics({ log, defaultMetrics: false });
    expect(value(parse(await metrics.registry.metrics()), 'herald_group_lag', { group: 'gone' })).toBe(0);
    await log.close();
    const samples = parse(await metrics.registry.metrics());
    expect(value(samples, 'herald_log_up')).toBe(0);
    expect(value(samples, 'herald_group_lag', { group: 'gone' })).toBeUndefined();
  });

  it('reports at most maxGroups groups by name, and herald_groups counts them all', async () => {
    const log = memoryLog();
    logs.push(log);
    for (const name of ['c', 'a', 'b']) await log.group(name);
    const samples = parse(
      await createHubMetrics({ log, maxGroups: 2, defaultMetrics: false }).registry.metrics(),
    );
    expect(samples.filter((s) => s.name === 'herald_group_lag').map((s) => s.labels.group)).toEqual([
      'a',
      'b',
    ]);
    expect(value(samples, 'herald_groups')).toBe(3);
  });

  it('samples the live backlog a transport reports, until it stops', async () => {
    const metrics = createHubMetrics({ defaultMetrics: false });
    let queued = { total: 12, max: 7 };
    const stop = metrics.liveBacklog('sse', () => queued);
    let samples = parse(await metrics.registry.metrics());
    expect(value(samples, 'herald_live_backlog_events', { transport: 'sse' })).toBe(12);
    expect(value(samples, 'herald_live_backlog_max_events', { transport: 'sse' })).toBe(7);
    queued = { total: 3, max: 3 };
    expect(
      value(parse(await metrics.registry.metrics()), 'herald_live_backlog_events', { transport: 'sse' }),
    ).toBe(3);
    stop();
    samples = parse(await metrics.registry.metrics());
    expect(value(samples, 'herald_live_backlog_events', { transport: 'sse' })).toBeUndefined();
  });
});
