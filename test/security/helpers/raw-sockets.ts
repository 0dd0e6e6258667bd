import { connect, type Socket } from 'node:net';

// Clients on bare sockets for the exhaustion tests: they read and close only when the test says
// so, which is what an attacker does and what `fetch` or `ws` would not let a test do.

/** A raw client socket that never closes its side: only the hub can free the connection. */
export interface HeldSocket {
  readonly socket: Socket;
  /** Everything the hub sent so far. */
  readonly received: () => string;
  /** The hub ended its side (FIN) or the connection is gone. */
  readonly hubClosed: () => boolean;
}

/**
 * Connects, writes `request` and keeps the socket open (half-open once the hub ends its side);
 * resolves once connected.
 *
 * @example
 * ```ts
 * const held = await holdSocket(hub.port, 'GET /v1/ws HTTP/1.1\r\n...\r\n\r\n');
 * await waitFor(() => held.hubClosed());
 * ```
 */
export async function holdSocket(port: number, request: string): Promise<HeldSocket> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let received = '';
  let hubClosed = false;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('end', () => (hubClosed = true));
  socket.on('close', () => (hubClosed = true));
  socket.on('error', () => (hubClosed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (request !== '') socket.write(request);
  return { socket, received: () => received, hubClosed: () => hubClosed };
}

/** The head of a WebSocket upgrade request for `path`, with extra header lines. */
export function upgradeRequest(port: number, path: string, headers: Record<string, string> = {}): string {
  const lines = Object.entries({
    host: `127.0.0.1:${port}`,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `GET ${path} HTTP/1.1\r\n${lines}\r\n`;
}

/** The status code of the response a held socket received (0 before one arrived). */
export function statusOf(held: HeldSocket): number {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(held.received());
  return match ? Number(match[1]) : 0;
}

/** A WebSocket client on a bare socket, that reads only when told to. */
export interface RawWs {
  readonly socket: Socket;
  /** Writes one text message (masked with a zero key); false when the socket's buffer is full. */
  send(text: string): boolean;
  /** The close code the hub sent, once the socket has been read to its end (undefined: none seen). */
  closeCode(): number | undefined;
  /** The text messages read so far. */
  texts(): string[];
  closed(): boolean;
}

/**
 * Opens `GET /v1/ws` with `token` on a bare socket and resolves once the hub accepted it
 * (101). `socket.pause()` stops reading: the hub sees a client that does not read.
 *
 * @example
 * ```ts
 * const ws = await rawWs(hub.port, ADMIN_KEY);
 * ws.send(JSON.stringify({ type: 'subscribe', id: 'a' }));
 * ws.socket.pause();
 * ```
 */
export async function rawWs(port: number, token: string): Promise<RawWs> {
  const socket = connect({ host: '127.0.0.1', port });
  let buffer = Buffer.alloc(0);
  let head: string | undefined;
  let code: number | undefined;
  let closed = false;
  const texts: string[] = [];
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  const accepted = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (head === undefined) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        if (!head.startsWith('HTTP/1.1 101 ')) reject(new Error(`upgrade refused: ${head}`));
        else resolve();
      }
      for (;;) {
        const frame = nextFrame(buffer);
        if (frame === undefined) break;
        buffer = buffer.subarray(frame.size);
        if (frame.opcode === 1) texts.push(frame.payload.toString('utf8'));
        if (frame.opcode === 8 && frame.payload.length >= 2) code = frame.payload.readUInt16BE(0);
      }
    });
    socket.once('close', () => reject(new Error(`closed before the upgrade: ${head ?? ''}`)));
  });
  socket.write(upgradeRequest(port, '/v1/ws', { authorization: `Bearer ${token}` }));
  await accepted;
  return {
    socket,
    send: (text) => socket.write(maskedFrame(text)),
    closeCode: () => code,
    texts: () => texts,
    closed: () => closed,
  };
}

function nextFrame(buffer: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buffer.length < 2) return undefined;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return undefined;
  return {
    opcode: buffer[0]! & 0x0f,
    payload: buffer.subarray(offset, offset + length),
    size: offset + length,
  };
}

/** A client text frame: FIN, opcode 1, masked with the key 0 (so the payload is sent as is). */
function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : Buffer.from([0x81, 0x80 | 126, n >> 8, n & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

/**
 * Sends up to `count` `unsubscribe` messages for a subscription that does not exist (each answered
 * with an `error` reply), waiting for the socket to drain when it is full; stops early once the
 * hub stops reading and cuts the socket. Returns how many were written.
 *
 * @example
 * ```ts
 * const sent = await floodControlMessages(await rawWs(hub.port, ADMIN_KEY), 40_000);
 * ```
 */
export async function floodControlMessages(ws: RawWs, count: number): Promise<number> {
  const message = JSON.stringify({ type: 'unsubscribe', id: 'no-such-subscription' });
  const gone = new Promise<void>((resolve) => ws.socket.once('close', () => resolve()));
  for (let i = 0; i < count; i++) {
    if (ws.closed()) return i;
    if (!ws.send(message)) {
      await Promise.race([gone, new Promise<void>((resolve) => ws.socket.once('drain', resolve))]);
    }
  }
  return count;
}
