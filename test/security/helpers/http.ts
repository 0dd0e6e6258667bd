import { request } from 'node:http';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
export type Body = any;

/** A response of the hub, its body parsed when it is JSON. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Body;
}

/**
 * A fetch that parses the body (JSON, or `{}` when empty).
 *
 * @example
 * ```ts
 * const { status, body } = await call(`${base}/v1/events`, { headers: bearer('k') });
 * ```
 */
export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Body = {};
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body };
}

/** `Authorization: Bearer <token>` (no header for `undefined`). */
export const bearer = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

/** A JSON POST (or another method) with an optional token. */
export function send(
  url: string,
  body: unknown,
  token?: string,
  method = 'POST',
  headers: Record<string, string> = {},
): Promise<Reply> {
  return call(url, {
    method,
    headers: { 'content-type': 'application/json', ...bearer(token), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

/**
 * A raw HTTP request with any headers (fetch refuses to set `Host` and `Origin`), optionally from
 * another loopback source address.
 *
 * @example
 * ```ts
 * const r = await raw(port, { path: '/v1/events', headers: { host: 'rebind.evil.example' } });
 * ```
 */
export function raw(
  port: number,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
  },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Body }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers ?? {},
        agent: false,
        ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Body = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
