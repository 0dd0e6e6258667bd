/**
 * The scale-out scenario, shared by `test/scale-out.test.ts` (which checks what it records) and
 * `bench/scale-out.ts` (which prints its rates): `hubs` `herald serve` processes on one shared
 * log; `clients` SSE clients spread over them in child processes; `events` single-event POSTs
 * round-robin to every hub from a publisher child; a consumer group with one member per hub
 * (pulling and acking over HTTP) in another child. With `kill`, the events go in two halves: the
 * first with every hub healthy, and during the second the last hub is SIGKILLed while its group
 * member holds a batch it has not acked.
 */
import type { Serializable } from 'node:child_process';
import type { GroupJob, GroupProgress, GroupReport } from '../fixtures/scale-out-group.js';
import type { Published, PublisherJob, PublishResult } from '../fixtures/scale-out-publisher.js';
import {
  BUCKET_MS,
  type SseClientsJob,
  type SseClientSummary,
  type SseProgress,
  type SseReport,
} from '../fixtures/scale-out-sse-clients.js';
import { forkChild, type ForkedChild } from './fork-child.js';
import { startHubCluster, type HubCluster } from './hub-cluster.js';
import type { ScaleOutBackend } from './scale-out-backends.js';

/** Options of a run. */
export interface ScaleOutOptions {
  backend: ScaleOutBackend;
  clients: number;
  events: number;
  hubs?: number;
  /** Child processes holding the SSE clients (default 2). */
  sseChildren?: number;
  /** POSTs in flight (default 48). */
  concurrency?: number;
  /** Characters of padding in each event's data (default 60). */
  padding?: number;
  /** Kill the last hub (SIGKILL) a quarter into the second half of the events. */
  kill: boolean;
  /** The group's ack wait (default 3,000 ms): how soon the killed member's batch comes back. */
  ackWaitMs?: number;
  /** How long each wait (clients connected, events delivered, group done) may take (default 120 s). */
  waitMs?: number;
  /** Progress lines (default: none). */
  note?: (line: string) => void;
}

/** What a run recorded. */
export interface ScaleOutReport {
  backend: string;
  clients: number;
  events: number;
  hubs: number;
  /** Events published while every hub was healthy (all of them without `kill`). */
  healthyEvents: number;
  published: Published[];
  /** The publishers' results together (seconds and retries summed, latencies the worst). */
  publish: Omit<PublishResult, 'type' | 'events'>;
  /** Epoch ms when publishing started. */
  startedAt: number;
  /** The log's events of the run, in position order, read through a surviving hub. */
  log: { id: string; position: number }[];
  sse: SseClientSummary[];
  sseDeliveries: number;
  sseLastAt: number;
  /** End-to-end latency (publish to SSE receipt), ms. */
  latency: { p50: number; p99: number; max: number };
  group: GroupReport;
  /** The hub killed, when it was, and the positions its member held unacked. */
  killed?: { hub: number; at: number; held: number[] };
  /** Waits that ran out (the run went on to record what happened anyway). */
  timeouts: string[];
  /** Exit codes of the hubs stopped at the end (the killed one: null). */
  exitCodes: (number | null)[];
}

const PATH = '/v1/sse?types=scale.%3E&from=start';
const GROUP = 'scale-workers';
const fixture = (name: string): URL => new URL(`../fixtures/${name}.ts`, import.meta.url);

/** Polls `check` until it holds; past the deadline, returns what did not happen (and the state). */
async function waitUntil(
  label: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  state: () => unknown,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      return `not ${label} within ${timeoutMs} ms; state: ${JSON.stringify(state())}`;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

/** Reads every event of the run from a hub, in position order. */
async function readLog(base: string): Promise<{ id: string; position: number }[]> {
  const out: { id: string; position: number }[] = [];
  let after = 0;
  for (;;) {
    const res = await fetch(`${base}/v1/events?types=scale.%3E&after=${after}&limit=1000`);
    if (res.status !== 200) throw new Error(`GET /v1/events: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { events: { id: string; position: number }[]; next: number };
    for (const e of page.events) out.push({ id: e.id, position: e.position });
    if (page.events.length === 0) return out;
    after = page.next;
  }
}

function percentiles(histograms: [number, number][][]): ScaleOutReport['latency'] {
  const counts = new Map<number, number>();
  for (const pairs of histograms)
    for (const [bucket, n] of pairs) counts.set(bucket, (counts.get(bucket) ?? 0) + n);
  const buckets = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  const at = (q: number): number => {
    let seen = 0;
    for (const [bucket, n] of buckets) {
      seen += n;
      if (seen >= q * total) return (bucket + 0.5) * BUCKET_MS;
    }
    return NaN;
  };
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: buckets.length > 0 ? (buckets.at(-1)![0] + 1) * BUCKET_MS : NaN,
  };
}

/**
 * Runs the scenario on `backend` and returns what it recorded, including the waits that ran out
 * (it throws only when the hubs or the clients cannot start). Everything it started is stopped
 * and the run's name space removed.
 *
 * @example
 * ```ts
 * const report = await runScaleOut({ backend, clients: 300, events: 10_000, kill: true });
 * ```
 */
export async function runScaleOut(options: ScaleOutOptions): Promise<ScaleOutReport> {
  const { backend, clients, events, kill } = options;
  const hubCount = options.hubs ?? 3;
  const waitMs = options.waitMs ?? 120_000;
  const ackWaitMs = options.ackWaitMs ?? 3_000;
  const note = options.note ?? (() => undefined);
  const shared = await backend.prepare();
  let cluster: HubCluster | undefined;
  const children: ForkedChild<unknown>[] = [];
  const fork = <T>(name: string, job: Serializable): ForkedChild<T> => {
    const child = forkChild<T>(fixture(name), job);
    children.push(child);
    return child;
  };
  try {
    cluster = await startHubCluster(hubCount, shared.url, shared.env, shared.startOneFirst);
    const bases = [...cluster.bases];
    note(`${backend.name}: ${hubCount} hubs up`);

    const sseCount = Math.min(options.sseChildren ?? 2, clients);
    const sse: ForkedChild<SseProgress | SseReport>[] = [];
    for (let c = 0, first = 0; c < sseCount; c++) {
      const n = Math.floor(clients / sseCount) + (c < clients % sseCount ? 1 : 0);
      sse.push(
        fork('scale-out-sse-clients', { hubs: bases, clients: n, first, path: PATH } satisfies SseClientsJob),
      );
      first += n;
    }
    let sseState: SseProgress[] = [];
    const sseProgress = async (): Promise<SseProgress[]> =>
      (sseState = (await Promise.all(
        sse.map((child) => child.request({ type: 'progress' })),
      )) as SseProgress[]);
    const connected = await waitUntil(
      'every SSE client connected',
      waitMs,
      async () => (await sseProgress()).reduce((sum, p) => sum + p.connected, 0) === clients,
      () => sseState,
    );
    if (connected !== undefined) throw new Error(`scale-out: ${connected}`);
    const timeouts: string[] = [];
    const wait = async (...args: Parameters<typeof waitUntil>): Promise<void> => {
      const timeout = await waitUntil(...args);
      if (timeout !== undefined) timeouts.push(timeout);
    };
    note(`${backend.name}: ${clients} SSE clients connected`);

    const group = fork<GroupProgress | GroupReport | { held: number[] } | { type: string }>(
      'scale-out-group',
      {
        hubs: bases,
        group: GROUP,
        types: ['scale.>'],
        ackWaitMs,
        max: 100,
        waitMs: 1_000,
        ackDelayMs: 5,
      } satisfies GroupJob,
    );
    await group.next();
    let groupState: GroupProgress | undefined;
    const groupProgress = async (watch?: number[]): Promise<GroupProgress> =>
      (groupState = (await group.request({ type: 'progress', ...(watch && { watch }) })) as GroupProgress);

    const publisher = fork<PublishResult | { type: 'progress'; done: number }>('scale-out-publisher', {
      hubs: bases,
      concurrency: options.concurrency ?? 48,
      type: 'scale.tick',
      padding: options.padding ?? 60,
      progressEvery: 250,
    } satisfies PublisherJob);
    const phase = async (from: number, count: number, onProgress?: (done: number) => Promise<void>) => {
      publisher.send({ type: 'publish', from, count });
      for (;;) {
        const message = await publisher.next();
        if (message.type === 'done') return message;
        await onProgress?.(message.done);
      }
    };
    const delivered = (target: number) => async () =>
      (await sseProgress()).every((p) => p.min >= target) && (await groupProgress()).distinct >= target;

    const healthyEvents = kill ? Math.floor(events / 2) : events;
    const startedAt = Date.now();
    const results: PublishResult[] = [await phase(0, healthyEvents)];
    note(`${backend.name}: ${healthyEvents} events published in ${results[0]!.seconds.toFixed(1)} s`);
    await waitUntil(
      `every client and the group got ${healthyEvents} events`,
      waitMs,
      delivered(healthyEvents),
      () => ({
        sse: sseState,
        group: groupState,
      }),
    );
    note(`${backend.name}: delivered to every client and handled by the group`);

    let killed: ScaleOutReport['killed'];
    if (kill) {
      const victim = hubCount - 1;
      const rest = events - healthyEvents;
      results.push(
        await phase(healthyEvents, rest, async (done) => {
          if (killed !== undefined || done < rest / 4) return;
          // The victim's member holds a batch without acking it, then its hub dies under it.
          const { held } = (await group.request({ type: 'hold', member: victim })) as { held: number[] };
          await cluster!.kill(victim);
          killed = { hub: victim, at: Date.now(), held };
          group.send({ type: 'release', member: victim });
          await group.next();
          note(`${backend.name}: hub ${victim} killed with ${held.length} deliveries unacked`);
        }),
      );
      if (killed === undefined) throw new Error('scale-out: the publisher finished before the kill');
      const held = killed.held;
      const state = () => ({ sse: sseState, group: groupState });
      await wait(
        `every client and the group got ${events} events after the kill`,
        waitMs,
        delivered(events),
        state,
      );
      await wait(
        `the batch the killed hub held was acked by another member`,
        ackWaitMs + 30_000,
        async () => (await groupProgress(held)).watchedAcked === held.length,
        state,
      );
      note(`${backend.name}: delivered after the kill`);
    }

    const reports = (await Promise.all(sse.map((child) => child.request({ type: 'report' })))) as SseReport[];
    const groupReport = (await group.request({ type: 'stop' })) as GroupReport;
    const survivor = bases[0]!;
    const log = await readLog(survivor);
    for (const child of sse) await child.request({ type: 'close' });
    return {
      backend: backend.name,
      clients,
      events,
      hubs: hubCount,
      healthyEvents,
      published: results.flatMap((r) => r.events),
      publish: {
        seconds: results.reduce((sum, r) => sum + r.seconds, 0),
        retries: results.reduce((sum, r) => sum + r.retries, 0),
        retryReasons: results.flatMap((r) => r.retryReasons),
        failures: results.flatMap((r) => r.failures),
        p50: Math.max(...results.map((r) => r.p50)),
        p99: Math.max(...results.map((r) => r.p99)),
      },
      startedAt,
      log,
      sse: reports.flatMap((r) => r.clients),
      sseDeliveries: reports.reduce((sum, r) => sum + r.deliveries, 0),
      sseLastAt: Math.max(...reports.map((r) => r.lastAt)),
      latency: percentiles(reports.map((r) => r.histogram)),
      group: groupReport,
      ...(killed !== undefined && { killed }),
      timeouts,
      exitCodes: await cluster.stop(),
    };
  } finally {
    await Promise.all(children.map((child) => child.stop(2_000)));
    if (cluster !== undefined) await cluster.stop().catch(() => undefined);
    await shared.cleanup();
  }
}
