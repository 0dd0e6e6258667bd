/**
 * Counters of one subscription, as `broker.stats()` reports them.
 *
 * - `published`: events accepted into its queue; `delivered`: attempts started (retries included);
 * - `succeeded`, `deadLettered`, `expired`, `duplicates`: how deliveries ended;
 * - `failed`: attempts that threw (each retry that fails counts); `retried`: redeliveries scheduled;
 * - `dropped` (drop-oldest overflow) and `rejected` (reject overflow);
 * - `queueDepth` (queued plus waiting to retry), `inFlight`, handler latency percentiles in ms
 *   (sampled from one attempt in eight).
 */
export interface SubscriptionStats {
  name: string;
  pattern: string;
  group: string | undefined;
  published: number;
  delivered: number;
  succeeded: number;
  failed: number;
  retried: number;
  deadLettered: number;
  expired: number;
  duplicates: number;
  dropped: number;
  rejected: number;
  queueDepth: number;
  inFlight: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}
