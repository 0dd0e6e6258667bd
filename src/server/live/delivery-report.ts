import type { HubMetrics, Transport } from '../metrics.js';
import type { FeedEntry } from './feed-entry.js';

/**
 * Moves the delivery counts kept on a feed entry into the hub's metrics. Fan-out only bumps a
 * number on the entry; this runs when the entry leaves the ring, after a replayed chunk, and on
 * a timer, so the Prometheus counter is touched once per event, not once per client per event.
 *
 * @example
 * ```ts
 * entry.sseDeliveries += clients;
 * reportDeliveries(ctx.metrics, entry);
 * ```
 */
export function reportDeliveries(metrics: HubMetrics, entry: FeedEntry): void {
  if (entry.sseDeliveries > 0) {
    metrics.delivered('sse', entry.type, entry.sseDeliveries);
    entry.sseDeliveries = 0;
  }
  if (entry.wsDeliveries > 0) {
    metrics.delivered('ws', entry.type, entry.wsDeliveries);
    entry.wsDeliveries = 0;
  }
}

/**
 * Counts one write of these entries to a client of `transport` (reported later).
 *
 * @example
 * ```ts
 * countDeliveries(sink.transport, batch);
 * sink.write(batch);
 * ```
 */
export function countDeliveries(transport: Transport, entries: readonly FeedEntry[]): void {
  if (transport === 'sse') for (const entry of entries) entry.sseDeliveries++;
  else for (const entry of entries) entry.wsDeliveries++;
}
