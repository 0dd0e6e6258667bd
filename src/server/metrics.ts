import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConsumerGroup, EventLog, GroupInfo } from '../log/types.js';

/** Distinct event types kept as label values; the rest are counted under `other`. */
const MAX_TYPE_LABELS = 500;

/** Consumer groups reported per scrape by default (each costs one `info()`, so a scrape stays bounded). */
const DEFAULT_MAX_GROUPS = 100;

/** The live-delivery transports. */
export type Transport = 'sse' | 'ws';

/** What a live transport reports at scrape time: events queued for its clients. */
export interface BacklogSample {
  /** Events queued for every client of the transport together. */
  total: number;
  /** The largest backlog of one client (the one closest to being disconnected as slow). */
  max: number;
}

/** Options of `createHubMetrics`. */
export interface HubMetricsOptions {
  /** Node and process metrics (`herald_process_*`, `herald_nodejs_*`; default true). */
  defaultMetrics?: boolean;
  /** Report this log's groups and positions at every scrape (same as calling `watchLog`). */
  log?: EventLog;
  /** Consumer groups reported per scrape, the first by name (default 100); `herald_groups` counts all. */
  maxGroups?: number;
}

/**
 * The hub's Prometheus metrics, on a registry of its own (two hubs in one process do not share
 * counters). Routes and the live transports call these; `GET /metrics` renders `registry`.
 * `docs/metrics.md` lists every metric.
 */
export interface HubMetrics {
  readonly registry: Registry;
  published(type: string, count?: number): void;
  /** Counts events stored for later delivery by `POST /v1/events` (`count`, default 1). */
  scheduled(count?: number): void;
  /** Counts events written to live clients (`count` of them, default 1, e.g. one per client). */
  delivered(transport: Transport, type: string, count?: number): void;
  clientOpened(transport: Transport): void;
  clientClosed(
    transport: Transport,
    reason: 'normal' | 'slow' | 'limit' | 'expired' | 'shutdown' | 'error',
  ): void;
  /** Observes one HTTP request (seconds). */
  request(route: string, method: string, status: number, seconds: number): void;
  /**
   * Reports the log at every scrape: its last position, and per consumer group lag, pending and
   * dead letters. Replaces a log watched before.
   */
  watchLog(log: EventLog): void;
  /**
   * Reports a transport's client backlog at every scrape from `sample` (called at scrape time, so
   * it should only add up counters it keeps). Returns a function that stops it.
   */
  liveBacklog(transport: Transport, sample: () => BacklogSample): () => void;
  /** Counts deliveries handed out by `POST /v1/groups/{name}/pull`. */
  groupDelivered(group: string, count: number): void;
  /** Counts receipts settled by `.../ack` or `.../nack`, by what became of them. */
  groupSettled(group: string, status: GroupSettleStatus, count: number): void;
  /** Reports the receipts held now at every scrape from `sample`. Returns a function that stops it. */
  groupReceipts(sample: () => number): () => void;
  /** Counts receipts forgotten because the hub held `maxReceipts` already. */
  receiptsEvicted(count: number): void;
}

/** What became of a receipt of an HTTP group consumer. */
export type GroupSettleStatus = 'acked' | 'nacked' | 'unknown' | 'expired' | 'failed';

/**
 * Creates the hub's metrics. Counters and the request histogram are updated as things happen;
 * the log's and the live transports' gauges are read by `collect` callbacks at scrape time, so an
 * idle hub costs nothing.
 *
 * @example
 * ```ts
 * const metrics = createHubMetrics({ log: memoryLog() });
 * metrics.published('orders.created');
 * console.log(await metrics.registry.metrics());
 * ```
 */
export function createHubMetrics(options: HubMetricsOptions = {}): HubMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'herald_' });
  const published = new Counter({
    name: 'herald_events_published_total',
    help: 'Events appended through the hub, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const scheduled = new Counter({
    name: 'herald_events_scheduled_total',
    help: 'Events stored through the hub for later delivery (not in herald_events_published_total).',
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
    help: 'Live clients that went away, by transport and reason (slow = backlog or unread replies over the bound, limit = message rate exceeded, expired = credentials expired).',
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
  const groupDeliveries = new Counter({
    name: 'herald_group_http_deliveries_total',
    help: 'Group deliveries handed out over HTTP (POST /v1/groups/{name}/pull), by group.',
    labelNames: ['group'],
    registers: [registry],
  });
  const groupSettled = new Counter({
    name: 'herald_group_http_settled_total',
    help: 'Receipts settled over HTTP, by group and status (acked, nacked, unknown, expired, failed).',
    labelNames: ['group', 'status'],
    registers: [registry],
  });
  const evicted = new Counter({
    name: 'herald_group_receipts_evicted_total',
    help: 'Receipts forgotten because the hub held maxReceipts already (their events come back after ackWait).',
    registers: [registry],
  });
  let receipts: (() => number) | undefined;
  new Gauge({
    name: 'herald_group_receipts',
    help: 'Receipts of unsettled group deliveries this hub holds.',
    registers: [registry],
    collect() {
      this.set(receipts?.() ?? 0);
    },
  });
  // Types and group names are labels, and come from clients: past this many, the rest count as "other".
  const label = boundedLabel(MAX_TYPE_LABELS);
  const groupLabel = boundedLabel(MAX_TYPE_LABELS);
  clients.set({ transport: 'sse' }, 0);
  clients.set({ transport: 'ws' }, 0);
  const watcher = logGauges(registry, options.maxGroups ?? DEFAULT_MAX_GROUPS);
  if (options.log !== undefined) watcher.watch(options.log);
  return {
    registry,
    published: (type, count = 1) => published.inc({ type: label(type) }, count),
    scheduled: (count = 1) => scheduled.inc(count),
    delivered: (transport, type, count = 1) => delivered.inc({ transport, type: label(type) }, count),
    clientOpened: (transport) => clients.inc({ transport }),
    clientClosed: (transport, reason) => {
      clients.dec({ transport });
      disconnects.inc({ transport, reason });
    },
    request: (route, method, status, seconds) =>
      requests.observe({ route, method, status: String(status) }, seconds),
    watchLog: (log) => watcher.watch(log),
    liveBacklog: backlogGauges(registry),
    groupDelivered: (group, count) => groupDeliveries.inc({ group: groupLabel(group) }, count),
    groupSettled: (group, status, count) => groupSettled.inc({ group: groupLabel(group), status }, count),
    groupReceipts: (sample) => {
      receipts = sample;
      return () => {
        if (receipts === sample) receipts = undefined;
      };
    },
    receiptsEvicted: (count) => evicted.inc(count),
  };
}

/** A label of values that come from clients: the first `max` distinct ones, then `other`. */
function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

/** One scrape's reading of the log. `up` is false when the log did not answer. */
interface LogSnapshot {
  up: boolean;
  last: number;
  groupCount: number;
  groups: GroupInfo[];
}

/**
 * The log's gauges, registered on the first `watch`. Every gauge's `collect` awaits the same
 * snapshot, taken once per scrape (prom-client calls every `collect` before awaiting any).
 */
function logGauges(registry: Registry, maxGroups: number): { watch(log: EventLog): void } {
  let log: EventLog | undefined;
  let handles = new Map<string, ConsumerGroup>();
  let inFlight: Promise<LogSnapshot> | undefined;
  const snapshot = (): Promise<LogSnapshot> => {
    inFlight ??= read(log!, maxGroups, handles).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const gauge = (
    name: string,
    help: string,
    set: (gauge: Gauge, snap: LogSnapshot) => void,
    labelNames: string[] = [],
  ): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const snap = await snapshot();
        this.reset();
        set(this, snap);
      },
    });
  };
  const perGroup = (key: 'lag' | 'pending' | 'deadLetters') => (g: Gauge, snap: LogSnapshot) => {
    for (const info of snap.groups) g.set({ group: info.name }, info[key]);
  };
  return {
    watch(next) {
      if (log === undefined) {
        gauge('herald_log_up', '1 when the event log answered at this scrape, else 0.', (g, s) =>
          g.set(s.up ? 1 : 0),
        );
        gauge('herald_log_last_position', 'The highest position stored in the event log.', (g, s) =>
          g.set(s.last),
        );
        gauge('herald_groups', 'Consumer groups in the event log (all, even past maxGroups).', (g, s) =>
          g.set(s.groupCount),
        );
        const group = ['group'];
        gauge(
          'herald_group_lag',
          'Events matching the group not yet delivered to it.',
          perGroup('lag'),
          group,
        );
        gauge(
          'herald_group_pending',
          'Events delivered to the group and not yet acked (including those awaiting redelivery).',
          perGroup('pending'),
          group,
        );
        gauge(
          'herald_group_dead_letters',
          'Events the group gave up on (kept until redriven or purged).',
          perGroup('deadLetters'),
          group,
        );
      }
      if (next !== log) handles = new Map();
      log = next;
    },
  };
}

/**
 * Reads the log once for a scrape. Group handles are kept between scrapes (`handles`): opening a
 * group is a write on some backends (SQLite queues it behind appends), reading its info is not.
 */
async function read(
  log: EventLog,
  maxGroups: number,
  handles: Map<string, ConsumerGroup>,
): Promise<LogSnapshot> {
  try {
    const [bounds, names] = await Promise.all([log.bounds(), log.groups()]);
    // Only names listed by `groups()` are opened, so a scrape never creates a group.
    const infos = await Promise.all(
      names.slice(0, maxGroups).map(async (name) => {
        let group = handles.get(name);
        if (group === undefined) handles.set(name, (group = await log.group(name)));
        return group.info();
      }),
    );
    return { up: true, last: bounds.last, groupCount: names.length, groups: infos };
  } catch {
    // A closed or unreachable log must not fail the whole scrape: herald_log_up says so.
    return { up: false, last: 0, groupCount: 0, groups: [] };
  }
}

/** `herald_live_backlog_events` and `herald_live_backlog_max_events`, sampled at scrape time. */
function backlogGauges(registry: Registry): HubMetrics['liveBacklog'] {
  const samplers = new Map<Transport, () => BacklogSample>();
  const sampled = (name: string, help: string, key: keyof BacklogSample): void => {
    new Gauge({
      name,
      help,
      labelNames: ['transport'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [transport, sample] of samplers) {
          try {
            this.set({ transport }, sample()[key]);
          } catch {
            // A failing sampler leaves its transport out rather than failing the scrape.
          }
        }
      },
    });
  };
  sampled('herald_live_backlog_events', 'Events queued for live clients, by transport.', 'total');
  sampled(
    'herald_live_backlog_max_events',
    'The largest backlog of one live client, by transport (disconnected as slow past maxBacklog).',
    'max',
  );
  return (transport, sample) => {
    samplers.set(transport, sample);
    return () => {
      if (samplers.get(transport) === sample) samplers.delete(transport);
    };
  };
}
