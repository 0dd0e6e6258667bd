import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { waitFor } from '../../src/testing/index.js';
import { openSse } from './sse-stream.js';

/** A `herald serve` child process, as a user runs it, listening on a free port. */
export interface HubProcess {
  readonly child: ChildProcess;
  readonly base: string;
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string;
}

const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * Starts the built `herald serve --port 0 --log <log>` with extra environment variables, and
 * resolves once it prints its listening line (rejects with its output if it exits first).
 *
 * @example
 * ```ts
 * const hub = await startHubProcess('postgres://root@127.0.0.1/test', { HERALD_POSTGRES__SCHEMA: 'x' });
 * await stopHubProcess(hub.child); // 0 after a clean stop
 * ```
 */
export function startHubProcess(log: string, env: Record<string, string> = {}): Promise<HubProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--log', log], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited(), HERALD_LOG_LEVEL: 'warn', HERALD_SHUTDOWN_GRACE_MS: '2000', ...env },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /herald listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, base: match[1]!, output: () => output });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => reject(new Error(`herald exited before listening:\n${output}`)));
  });
}

/**
 * This process's environment without the tests' and benchmarks' own `HERALD_TEST_*` and
 * `HERALD_BENCH_*` variables: `herald serve` refuses every `HERALD_*` variable it does not know.
 */
function inherited(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^HERALD_(TEST|BENCH)_/.test(name)),
  );
}

/**
 * Stops a hub with SIGTERM and resolves with its exit code (0 after a clean stop).
 *
 * @example
 * ```ts
 * expect(await stopHubProcess(hub.child)).toBe(0);
 * ```
 */
export async function stopHubProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/**
 * POSTs one plain-JSON event to a hub and returns its position.
 *
 * @example
 * ```ts
 * const position = await postEvent(hub.base, { type: 'hubs.tick', data: { i: 1 } });
 * ```
 */
export async function postEvent(base: string, event: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (res.status !== 201) throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { events: { position: number }[] }).events[0]!.position;
}

/**
 * Publishes `count` events of type `hubs.tick`, mostly through `a` and every third through `b`,
 * while `b` streams `hubs.>` over SSE from the start; checks that `b` streamed each exactly once,
 * in position order. Returns the positions.
 *
 * @example
 * ```ts
 * await expectStreamedAcrossHubs(hubs[0]!, hubs[1]!, 30);
 * ```
 */
export async function expectStreamedAcrossHubs(
  a: HubProcess,
  b: HubProcess,
  count: number,
): Promise<number[]> {
  const stream = await openSse(`${b.base}/v1/sse?types=hubs.>&from=start&named=true`);
  try {
    const positions: number[] = [];
    for (let i = 0; i < count; i++) {
      positions.push(await postEvent(i % 3 === 0 ? b.base : a.base, { type: 'hubs.tick', data: { i } }));
    }
    const ticks = () => stream.events.filter((e) => e.type === 'hubs.tick');
    await waitFor(() => ticks().length >= count, { timeoutMs: 20_000 });
    const got = ticks().map((e) => Number(e.lastEventId));
    expect(got).toEqual([...positions].sort((x, y) => x - y));
    const data = ticks().map((e) => (JSON.parse(e.data) as { data: { i: number } }).data.i);
    expect(new Set(data).size).toBe(count);
    return positions;
  } finally {
    stream.close();
  }
}

/**
 * Checks that every hub answers `GET /v1/events?types=hubs.>` with the same ids (at least `min`).
 *
 * @example
 * ```ts
 * await expectSameQueries(hubs, 30);
 * ```
 */
export async function expectSameQueries(hubs: readonly HubProcess[], min: number): Promise<void> {
  const pages = await Promise.all(
    hubs.map(async (h) => {
      const res = await fetch(`${h.base}/v1/events?types=hubs.>&limit=1000`);
      return ((await res.json()) as { events: { id: string }[] }).events.map((e) => e.id);
    }),
  );
  expect(pages[0]!.length).toBeGreaterThanOrEqual(min);
  for (const page of pages) expect(page).toEqual(pages[0]);
}
