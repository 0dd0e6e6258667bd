import type { FastifyInstance } from 'fastify';
import type { EventLog } from '../../src/log/types.js';
import { createServer, type ServerOptions } from '../../src/server/index.js';
import { createHubMetrics, type HubMetrics } from '../../src/server/metrics.js';

/** A hub listening on 127.0.0.1 for a test. */
export interface TestHub {
  readonly app: FastifyInstance;
  readonly base: string;
  readonly port: number;
  readonly log: EventLog;
  readonly metrics: HubMetrics;
}

/**
 * Starts a hub on `log` (port 0 unless given). `setup` runs before `listen`, to add test routes
 * or hooks.
 *
 * @example
 * ```ts
 * const hub = await startHub({ log: memoryLog(), live: { keepAliveMs: 50 } });
 * await hub.app.close();
 * ```
 */
export async function startHub(
  options: Omit<ServerOptions, 'metrics'> & { port?: number; setup?: (app: FastifyInstance) => void },
): Promise<TestHub> {
  const { port = 0, setup, ...serverOptions } = options;
  const metrics = createHubMetrics({ defaultMetrics: false });
  const app = createServer({ ...serverOptions, metrics });
  setup?.(app);
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { app, base: `http://127.0.0.1:${address.port}`, port: address.port, log: options.log, metrics };
}

/**
 * POSTs plain-JSON events and returns their positions.
 *
 * @example
 * ```ts
 * const [position] = await publish(hub.base, [{ type: 'orders.created', data: { id: 1 } }]);
 * ```
 */
export async function publish(base: string, events: readonly Record<string, unknown>[]): Promise<number[]> {
  const res = await fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { events: { position: number }[] };
  return body.events.map((e) => e.position);
}

/**
 * The value of a counter or gauge of the hub's metrics with these labels (0 when absent).
 *
 * @example
 * ```ts
 * await metricValue(hub.metrics, 'herald_live_disconnects_total', { transport: 'sse', reason: 'slow' });
 * ```
 */
export async function metricValue(
  metrics: HubMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return found?.value ?? 0;
}

/** 1, 2, ..., n. */
export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
