import { connect } from 'node:net';

/** A response read off a raw socket: status, lower-case headers, body. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `request` as it is on a fresh TCP connection to the hub and reads the response until the
 * hub closes the connection: for requests no HTTP client would send (a head over Node's size
 * limit, an unknown method). Send `Connection: close` with well-formed ones.
 *
 * @example
 * ```ts
 * const res = await rawRequest(hub.port, 'FOO / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
 * ```
 */
export function rawRequest(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') reject(failure ?? new Error('the hub closed the connection without a response'));
      else resolve(parseResponse(text));
    });
    socket.write(request);
  });
}

function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}
