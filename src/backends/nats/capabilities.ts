import type { LogCapabilities } from '../../log/types.js';

/**
 * What the NATS log can do.
 *
 * @example
 * ```ts
 * NATS_CAPABILITIES.consumerGroups; // true
 * ```
 */
export const NATS_CAPABILITIES: LogCapabilities = Object.freeze({
  name: 'nats',
  durable: true,
  // JetStream acknowledges once the message is in its file store; it syncs to disk on its own
  // interval (sync_interval, 2 minutes by default), not per message.
  fsync: false,
  globalOrder: true,
  delivery: 'at-least-once',
  consumerGroups: true,
  expectedVersion: true,
  idempotentAppend: true,
  retention: true,
  multiProcess: true,
});
