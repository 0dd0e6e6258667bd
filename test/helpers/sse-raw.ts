import { connect, type Socket } from 'node:net';

/** An SSE request on a bare TCP socket, which the test reads only when it wants to. */
export interface RawSseClient {
  readonly socket: Socket;
  /** Starts reading, and resolves with the status line, headers and de-chunked body once the server closes. */
  readAll(): Promise<{ head: string; body: string }>;
}

/**
 * Sends `GET path` on a raw socket that does not read: the kernel buffers fill and the hub sees
 * a client that stopped reading (a phone in a tunnel, a stuck tab).
 *
 * @example
 * ```ts
 * const slow = await rawSse(hub.port, '/v1/sse?from=start');
 * const { body } = await slow.readAll();
 * ```
 */
export async function rawSse(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawSseClient> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.pause();
  const lines = Object.entries({ host: `127.0.0.1:${port}`, accept: 'text/event-stream', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`GET ${path} HTTP/1.1\r\n${lines}\r\n`);
  return {
    socket,
    readAll: () =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.once('error', reject);
        socket.once('close', () => {
          try {
            resolve(dechunk(Buffer.concat(chunks)));
          } catch (err) {
            reject(err);
          }
        });
        socket.resume();
      }),
  };
}

/** Splits an HTTP/1.1 response into its head and its chunked body, decoded. */
function dechunk(response: Buffer): { head: string; body: string } {
  const split = response.indexOf('\r\n\r\n');
  if (split === -1) throw new Error('no HTTP head');
  const head = response.subarray(0, split).toString('latin1');
  const parts: Buffer[] = [];
  let at = split + 4;
  while (at < response.length) {
    const eol = response.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(response.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) break;
    parts.push(response.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { head, body: Buffer.concat(parts).toString('utf8') };
}
