import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Distinct event types kept as label values; the rest are counted under `other`. */
const MAX_TYPE_LABELS = 500;

/** The live-delivery transports. */
export type Transport = 'sse' | 'ws';

/**
 * The hub's Prometheus metrics, on a registry of its own (two hubs in one process do not share
 * counters). Routes and the live transports call these; `GET /metrics` renders `registry`.
 */
export interface HubMetrics {
  readonly registry: Registry;
  published(type: string, count?: number): void;
  delivered(transport: Transport, type: string): void;
  clientOpened(transport: Transport): void;
  clientClosed(transport: Transport, reason: 'normal' | 'slow' | 'shutdown' | 'error'): void;
  /** Observes one HTTP request (seconds). */
  request(route: string, method: string, status: number, seconds: number): void;
}

/**
 * Creates the hub's metrics. `collect` callbacks added later (group lag, dead letters) run at
 * scrape time.
 *
 * @example
 * ```ts
 * const metrics = createHubMetrics();
 * metrics.published('orders.created');
 * console.log(await metrics.registry.metrics());
 * ```
 */
export function createHubMetrics(options: { defaultMetrics?: boolean } = {}): HubMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'herald_process_' });
  const published = new Counter({
    name: 'herald_events_published_total',
    help: 'Events appended through the hub, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const delivered = new Counter({
    name: 'herald_events_delivered_total',
    help: 'Events written to live clients, by transport and type.',
    labelNames: ['transport', 'type'],
    registers: [registry],
  });
  const clients = new Gauge({
    name: 'herald_live_clients',
    help: 'Connected live clients, by transport.',
    labelNames: ['transport'],
    registers: [registry],
  });
  const disconnects = new Counter({
    name: 'herald_live_disconnects_total',
    help: 'Live clients that went away, by transport and reason (slow = backlog exceeded).',
    labelNames: ['transport', 'reason'],
    registers: [registry],
  });
  const requests = new Histogram({
    name: 'herald_http_request_duration_seconds',
    help: 'HTTP request latency, by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Types are a label, and types come from clients: past this many, the rest count as "other".
  const types = new Set<string>();
  const label = (type: string): string => {
    if (types.has(type)) return type;
    if (types.size >= MAX_TYPE_LABELS) return 'other';
    types.add(type);
    return type;
  };
  clients.set({ transport: 'sse' }, 0);
  clients.set({ transport: 'ws' }, 0);
  return {
    registry,
    published: (type, count = 1) => published.inc({ type: label(type) }, count),
    delivered: (transport, type) => delivered.inc({ transport, type: label(type) }),
    clientOpened: (transport) => clients.inc({ transport }),
    clientClosed: (transport, reason) => {
      clients.dec({ transport });
      disconnects.inc({ transport, reason });
    },
    request: (route, method, status, seconds) =>
      requests.observe({ route, method, status: String(status) }, seconds),
  };
}
