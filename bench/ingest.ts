/**
 * Hub ingest: events/s through `POST /v1/events` on the SQLite log with fsync durability, driven by
 * autocannon from this process (50 connections), for single-event POSTs and for 1,000-event batches.
 * Targets (issue 4): single >= 15,000 events/s, batches >= 100,000 events/s. A first baseline:
 * autocannon runs in the hub's own process here, so the load generator and the hub share the two
 * cores; the issue-4 benchmark should drive the hub from a second process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { createServer } from '../src/server/index.js';
import { printTable } from './harness.js';

async function load(
  url: string,
  body: string,
  contentType: string,
  seconds: number,
): Promise<{ requests: number; p99: number; errors: number }> {
  const result = await autocannon({
    url: `${url}/v1/events`,
    method: 'POST',
    connections: 50,
    duration: seconds,
    headers: { 'content-type': contentType },
    body,
  });
  if (result.non2xx > 0) throw new Error(`ingest bench: ${result.non2xx} non-2xx replies`);
  // Transport errors (timeouts, resets when the run stops) are reported in the table, not hidden.
  return {
    requests: result['2xx'] / seconds,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
  };
}

export async function runIngestBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-ingest-'));
  const log = await sqliteLog({ path: join(dir, 'events.db') });
  const app = createServer({ log, bodyLimit: 16 * 1024 * 1024 });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const one = JSON.stringify({ type: 'bench.ingest', data: { sku: 'a-1', qty: 2, note: 'x'.repeat(120) } });
    const batch = JSON.stringify(Array.from({ length: 1_000 }, () => JSON.parse(one) as unknown));
    const single = await load(url, one, 'application/json', 10);
    const batched = await load(url, batch, 'application/json', 10);
    printTable(
      'Hub ingest over HTTP on SQLite with fsync (autocannon, 50 connections, 10 s each)',
      [
        {
          name: 'single-event POSTs',
          perSecond: single.requests,
          extra: { 'p99 ms': String(single.p99), errors: String(single.errors) },
        },
        {
          name: '1,000-event batch POSTs',
          perSecond: batched.requests * 1_000,
          extra: { 'p99 ms': String(batched.p99), errors: String(batched.errors) },
        },
      ],
      'single-event POSTs',
    );
  } finally {
    await app.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
