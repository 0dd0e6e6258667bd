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
  survivesReopen: true,
  // The log's streams use file storage, written before JetStream acknowledges a publish.
  survivesServerRestart: true,
  // JetStream acknowledges once the message is in its file store; it syncs to disk on its own
  // interval (sync_interval, 2 minutes by default), not per message.
  fsync: false,
  consumerGroups: true,
  multiProcess: true,
});
