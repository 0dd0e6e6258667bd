import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/backends/memory/index.js';
import { createServer } from '../../src/server/index.js';
import { loadConfig, toServerOptions } from '../../src/server/config/index.js';
import { waitFor } from '../../src/testing/index.js';
import { publish, startHub, type TestHub } from '../helpers/sse-hub.js';
import { openSse } from '../helpers/sse-stream.js';

// Slowloris and its slow-body variant: a client that sends its headers, or its body, a byte at a
// time holds a socket (a descriptor) for as long as the hub lets it. Fastify turns Node's request
// timeout off, so a trickled body was never cut; the hub now sets both timeouts itself.
let hub: TestHub;

beforeAll(async () => {
  hub = await startHub({ log: memoryLog(), headersTimeoutMs: 300, requestTimeoutMs: 600 });
});
afterAll(() => hub.app.close());

/** A raw connection that sends `head` at once, then one byte of `drip` every 50 ms. */
function trickle(
  head: string,
  drip: string,
): { socket: Socket; received: () => string; closed: () => boolean } {
  const socket = connect(hub.port, '127.0.0.1');
  let received = '';
  let closed = false;
  let i = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(drip[i++ % drip.length]!);
  }, 50);
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    clearInterval(timer);
  });
  socket.write(head);
  return { socket, received: () => received, closed: () => closed };
}

describe('slow requests', () => {
  it('answers 408 and closes a connection that trickles its body or its headers, and leaves live streams alone', async () => {
    const stream = await openSse(`${hub.base}/v1/sse`);
    const body = trickle(
      'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n',
      ' ',
    );
    const headers = trickle('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'x-slow: 1\r\n');
    await waitFor(() => body.closed() && headers.closed(), {
      timeoutMs: 20_000,
      message: 'the slow connections were not cut',
    });
    for (const slow of [body, headers]) {
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(slow.received()).toContain('"REQUEST_TIMEOUT"');
    }
    // The stream outlived both timeouts: its request ended with its headers.
    expect(stream.ended()).toBe(false);
    await publish(hub.base, [{ type: 'slow.after', data: {} }]);
    await waitFor(
      () => stream.events.some((e) => (JSON.parse(e.data) as { type: string }).type === 'slow.after'),
      {
        timeoutMs: 10_000,
      },
    );
    stream.close();
  });

  it("keeps Node's timeouts on by default and takes them from the config", async () => {
    const app = createServer({ log: memoryLog() });
    expect(app.server.requestTimeout).toBe(300_000);
    expect(app.server.headersTimeout).toBe(60_000);
    await app.close();
    const { config } = loadConfig({
      env: { HERALD_HEADERS_TIMEOUT_MS: '1500', HERALD_REQUEST_TIMEOUT_MS: '4000' },
      cwd: mkdtempSync(join(tmpdir(), 'herald-timeouts-')),
    });
    const tuned = createServer(toServerOptions(config, memoryLog()));
    expect([tuned.server.headersTimeout, tuned.server.requestTimeout]).toEqual([1_500, 4_000]);
    await tuned.close();
  });
});
