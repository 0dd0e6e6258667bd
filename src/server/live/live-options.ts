import { checkInteger, checkMillis } from '../../log/invalid-option.js';

/** Options of live delivery (SSE and WebSocket). */
export interface LiveOptions {
  /** Keep-alive comment (SSE) / ping (WS) interval (default 15,000 ms). */
  keepAliveMs?: number;
  /** The `retry:` reconnection hint sent to SSE clients (default 2,000 ms). */
  retryMs?: number;
  /** Events a client may fall behind before it is disconnected to resume later (default 10,000). */
  maxBacklog?: number;
  /** Recent events kept in memory for connected clients (default 10,000). */
  ringSize?: number;
  /** ... and at most about this many bytes of them (default 64 MiB), for hubs of big events. */
  ringBytes?: number;
  /** Subscriptions one WebSocket may hold at once (default 100). */
  maxSubscriptions?: number;
  /** Largest WebSocket message a client may send, in bytes (default 1 MiB). */
  maxMessageBytes?: number;
  /** Publishes one WebSocket may have in flight before the hub stops reading it (default 256). */
  maxInFlight?: number;
  /**
   * Messages a second one WebSocket may send, with bursts of as many (default 1,000); past it the
   * socket is closed with 1008.
   */
  maxMessagesPerSecond?: number;
  /** How long a closing stream may take to flush before its socket is destroyed (default 5,000 ms). */
  closeGraceMs?: number;
}

/** `LiveOptions` checked, defaults applied. */
export type ResolvedLiveOptions = Readonly<Required<LiveOptions>>;

/**
 * Checks `LiveOptions` (`INVALID_OPTION` naming the option) and applies the defaults.
 *
 * @example
 * ```ts
 * resolveLiveOptions({ keepAliveMs: 5_000 }).maxBacklog; // 10000
 * ```
 */
export function resolveLiveOptions(options: LiveOptions = {}): ResolvedLiveOptions {
  return Object.freeze({
    keepAliveMs: checkMillis('live.keepAliveMs', options.keepAliveMs ?? 15_000, 1),
    retryMs: checkInteger('live.retryMs', options.retryMs ?? 2_000, 0),
    maxBacklog: checkInteger('live.maxBacklog', options.maxBacklog ?? 10_000, 1),
    ringSize: checkInteger('live.ringSize', options.ringSize ?? 10_000, 1),
    ringBytes: checkInteger('live.ringBytes', options.ringBytes ?? 64 * 1024 * 1024, 1),
    maxSubscriptions: checkInteger('live.maxSubscriptions', options.maxSubscriptions ?? 100, 1),
    maxMessageBytes: checkInteger('live.maxMessageBytes', options.maxMessageBytes ?? 1_048_576, 1_024),
    maxInFlight: checkInteger('live.maxInFlight', options.maxInFlight ?? 256, 1),
    maxMessagesPerSecond: checkInteger('live.maxMessagesPerSecond', options.maxMessagesPerSecond ?? 1_000, 1),
    closeGraceMs: checkMillis('live.closeGraceMs', options.closeGraceMs ?? 5_000, 0),
  });
}
