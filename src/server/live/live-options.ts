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
}
