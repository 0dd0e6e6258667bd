import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import { waitFor } from '../src/testing/index.js';
import { startHub } from './helpers/sse-hub.js';
import { openSse } from './helpers/sse-stream.js';

describe('closing the hub', () => {
  it('does not hang on a client that connected and never sent a request, nor on an aborted stream', async () => {
    const log = memoryLog();
    const hub = await startHub({ log, shutdownGraceMs: 200 });
    const stream = await openSse(`${hub.base}/v1/sse?from=start`);
    await log.append([{ type: 'shutdown.x', data: {} }]);
    await waitFor(() => stream.events.length === 1);
    stream.close();
    // A bare TCP connection with no request: Node's idle-connection sweep does not count it idle.
    const silent = connect(hub.port, '127.0.0.1');
    await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
    const cut = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    await hub.app.close();
    await cut; // the silent connection was cut after the grace
    expect(silent.destroyed).toBe(true);
    await log.close();
  });
});
