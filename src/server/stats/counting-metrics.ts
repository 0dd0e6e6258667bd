import type { HubMetrics } from '../metrics.js';
import type { HubStats } from './hub-stats.js';

/**
 * The hub's metrics, also counting into `stats`: every place that counts a publish, a delivery
 * or a live client for Prometheus (HTTP ingest, WebSocket publish, the live feed's delivery
 * reports, the SSE and WebSocket routes) feeds `GET /v1/stats` through this one seam. The other
 * methods are `metrics`' own.
 *
 * @example
 * ```ts
 * const ctx = { log, metrics: countingMetrics(createHubMetrics(), stats), stats, defaultSource: 'http' };
 * ```
 */
export function countingMetrics(metrics: HubMetrics, stats: HubStats): HubMetrics {
  return {
    registry: metrics.registry,
    published(type, count = 1) {
      metrics.published(type, count);
      stats.published(type, count);
    },
    delivered(transport, type, count = 1) {
      metrics.delivered(transport, type, count);
      stats.delivered(type, count);
    },
    clientOpened(transport) {
      metrics.clientOpened(transport);
      stats.clientOpened(transport);
    },
    clientClosed(transport, reason) {
      metrics.clientClosed(transport, reason);
      stats.clientClosed(transport);
    },
    scheduled: (count) => metrics.scheduled(count),
    request: (route, method, status, seconds) => metrics.request(route, method, status, seconds),
    watchLog: (log) => metrics.watchLog(log),
    liveBacklog: (transport, sample) => metrics.liveBacklog(transport, sample),
    groupDelivered: (group, count) => metrics.groupDelivered(group, count),
    groupSettled: (group, status, count) => metrics.groupSettled(group, status, count),
    groupReceipts: (sample) => metrics.groupReceipts(sample),
    receiptsEvicted: (count) => metrics.receiptsEvicted(count),
  };
}
