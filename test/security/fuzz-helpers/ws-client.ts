import WebSocket from 'ws';
import { waitFor } from '../../../src/testing/wait-for.js';

/** A message the hub sent over the socket. */
export type WsMessage = Record<string, unknown> & { type: string };

/** A `ws` client of `/v1/ws` that records what it receives. */
export interface WsClient {
  readonly ws: WebSocket;
  readonly messages: WsMessage[];
  /** The close code and reason, once the socket closed. */
  readonly closed: { code: number; reason: string } | undefined;
  send(message: unknown): void;
  /** Waits for the first message from index `from` on that matches, and returns it. */
  next(match: (m: WsMessage) => boolean, from?: number): Promise<WsMessage>;
  close(): void;
}

/**
 * Opens a WebSocket to `${base}/v1/ws` and resolves once it is open. A message that is not a
 * string is sent as its JSON.
 *
 * @example
 * ```ts
 * const c = await connectWs(hub.base);
 * c.send({ type: 'publish', ref: 1, event: { type: 'a.b' } });
 * await c.next((m) => m.type === 'ack');
 * ```
 */
export async function connectWs(base: string): Promise<WsClient> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`);
  const messages: WsMessage[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as WsMessage));
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString('utf8') }));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    get closed() {
      return closed;
    },
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: (match, from = 0) =>
      waitFor(
        () => {
          const found = messages.slice(from).find(match);
          if (found === undefined && closed !== undefined) {
            throw new Error(`the socket closed (${closed.code} ${closed.reason}) before the message came`);
          }
          return found;
        },
        { message: 'the expected WebSocket message' },
      ) as Promise<WsMessage>,
    close: () => ws.terminate(),
  };
}
