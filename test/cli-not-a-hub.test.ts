import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built `herald` command as a user runs it (`npm test` builds first).
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const page = '<!doctype html><html><head><title>Welcome to nginx!</title></head><body></body></html>';

/**
 * A web server that is not a Herald hub: `/json/...` answers JSON that does not parse, `/404/...`
 * an HTML 404 page, `/502/...` a proxy's HTML 502, anything else a 200 HTML page.
 */
const server: Server = createServer((req, res) => {
  req.resume();
  const url = req.url ?? '/';
  if (url.startsWith('/json/')) {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"events": [');
  } else if (url.startsWith('/404/')) {
    res.writeHead(404, { 'content-type': 'text/html' }).end(page);
  } else if (url.startsWith('/502/')) {
    res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway');
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  }
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('a CLI pointed at a server that is not a Herald hub', () => {
  it('says so for an HTML page, naming the URL, the content type and the request', async () => {
    const events = await run(['events', '--url', base]);
    expect(events).toEqual({
      code: 1,
      stdout: '',
      stderr: `herald: ${base}: not a Herald hub (got text/html from GET /v1/events)\n`,
    });
    const published = await run(['publish', 'order.created', '{"id":"o-1"}', '--url', base]);
    expect(published.code).toBe(1);
    expect(published.stderr).toBe(`herald: ${base}: not a Herald hub (got text/html from POST /v1/events)\n`);
    const groups = await run(['groups', '--url', base]);
    expect(groups.stderr).toBe(`herald: ${base}: not a Herald hub (got text/html from GET /v1/groups)\n`);
  });

  it('says so for an HTML error page, with its status', async () => {
    const dlq = await run(['dlq', 'list', 'billing', '--url', `${base}/404`]);
    expect(dlq.code).toBe(1);
    expect(dlq.stderr).toBe(
      `herald: ${base}/404: not a Herald hub (got 404 text/html from GET /v1/groups/billing/dead-letters)\n`,
    );
  });

  it('says so for JSON that does not parse', async () => {
    const events = await run(['events', '--url', `${base}/json`]);
    expect(events.code).toBe(1);
    expect(events.stderr).toBe(
      `herald: ${base}/json: not a Herald hub (got JSON that does not parse from GET /v1/events)\n`,
    );
  });

  it('says so when tail gets a page instead of an event stream', async () => {
    const tail = await run(['tail', 'order.>', '--url', base]);
    expect(tail.code).toBe(1);
    expect(tail.stderr).toBe(`herald: ${base}: not a Herald hub (got text/html from GET /v1/sse)\n`);
    const page404 = await run(['tail', 'order.>', '--url', `${base}/404`]);
    expect(page404.code).toBe(1);
    expect(page404.stderr).toBe(
      `herald: ${base}/404: not a Herald hub (got 404 text/html from GET /v1/sse)\n`,
    );
  });

  it('ends tail when its first connection gets a 5xx: nothing was followed yet', async () => {
    const tail = await run(['tail', 'order.>', '--url', `${base}/502`]);
    expect(tail).toEqual({ code: 1, stdout: '', stderr: 'herald: the hub answered 502 Bad Gateway\n' });
  });

  it("keeps a proxy's 5xx as the hub's answer: the hub behind it may be restarting", async () => {
    const events = await run(['events', '--url', `${base}/502`]);
    expect(events.code).toBe(1);
    expect(events.stderr).toBe('herald: the hub answered 502 Bad Gateway\n');
  });
});
