import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { waitFor } from '../../../src/testing/index.js';
import { raw } from './http.js';
import { holdSocket, type HeldSocket } from './raw-sockets.js';

/** The admin key of every exhaustion hub. */
export const ADMIN_KEY = 'exhaustion-admin-key-0123456789';

const bin = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

/** A built `herald serve` running under `ulimit -n`, on the SQLite log in a fresh folder. */
export interface LimitedHub {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly base: string;
  /** The soft limit on open files the hub runs with, read back from /proc. */
  readonly fdLimit: number;
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string;
  /** SIGTERM, then the exit code (SIGKILL and null when it does not exit within 15 s). */
  readonly stop: () => Promise<number | null>;
}

const running = new Set<LimitedHub>();

/**
 * Starts `node dist/cli/main.js serve` through `bash -c 'ulimit -n <fdLimit> && exec node ...'`
 * (the same pid once bash execs), with auth on (one admin key) and `env` on top, and resolves
 * once it prints its listening line.
 *
 * @example
 * ```ts
 * const hub = await startLimitedHub(256, { HERALD_HEADERS_TIMEOUT_MS: '1000' });
 * expect(await hub.stop()).toBe(0);
 * ```
 */
export async function startLimitedHub(
  fdLimit: number,
  env: Record<string, string> = {},
): Promise<LimitedHub> {
  const data = mkdtempSync(join(tmpdir(), 'herald-exhaustion-'));
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${fdLimit} && exec "$0" "$@"`,
      process.execPath,
      bin,
      'serve',
      '--port',
      '0',
      '--log',
      'sqlite',
      '--data',
      data,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...inherited(),
        HERALD_LOG_LEVEL: 'warn',
        HERALD_SHUTDOWN_GRACE_MS: '2000',
        HERALD_SQLITE__DURABILITY: 'os',
        HERALD_AUTH__KEYS: JSON.stringify([{ name: 'ops', key: ADMIN_KEY, admin: true }]),
        ...env,
      },
    },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /herald listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(() => reject(new Error(`herald exited before listening:\n${output}`)));
  });
  const pid = child.pid!;
  const hub: LimitedHub = {
    child,
    pid,
    port: Number(new URL(base).port),
    base,
    fdLimit: openFileLimit(pid),
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(killer);
      running.delete(hub);
      rmSync(data, { recursive: true, force: true });
      return code;
    },
  };
  running.add(hub);
  return hub;
}

const held = new Set<HeldSocket>();

/** Destroys every socket `hold` and `holdMany` opened and kills every hub still running (for `afterEach`). */
export async function cleanUp(): Promise<void> {
  for (const h of held) h.socket.destroy();
  held.clear();
  for (const hub of [...running]) {
    hub.child.kill('SIGKILL');
    await hub.stop();
  }
}

/** Checks the hub runs under `limit` and answers, and returns its descriptors and RSS. */
export async function expectBaseline(hub: LimitedHub, limit: number): Promise<{ fds: number; rss: number }> {
  expect(hub.fdLimit).toBe(limit);
  expect(await healthz(hub)).toBe(200);
  return { fds: fdCount(hub.pid), rss: rssMiB(hub.pid) };
}

/** SIGTERM: exit 0 and "herald stopped", whatever the attack left. Returns the exit code. */
export async function expectCleanStop(hub: LimitedHub): Promise<number | null> {
  const code = await hub.stop();
  expect(hub.output()).toContain('herald stopped');
  expect(code).toBe(0);
  return code;
}

/** A held socket to the hub sending `request`, destroyed by `cleanUp`. */
export async function hold(hub: LimitedHub, request: string): Promise<HeldSocket> {
  const socket = await holdSocket(hub.port, request);
  held.add(socket);
  return socket;
}

/** Opens `count` held sockets, `per` at a time, each sending `request(i)`. */
export async function holdMany(
  hub: LimitedHub,
  count: number,
  per: number,
  request: (i: number) => string,
): Promise<HeldSocket[]> {
  const opened: HeldSocket[] = [];
  for (let i = 0; i < count; i += per) {
    const wave = await Promise.all(
      Array.from({ length: Math.min(per, count - i) }, (_, j) => hold(hub, request(i + j))),
    );
    opened.push(...wave);
  }
  return opened;
}

/** `herald serve` refuses `HERALD_*` variables it does not know: drop the tests' own. */
function inherited(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^HERALD_(TEST|BENCH|SECURITY)_/.test(name)),
  );
}

/** The soft "Max open files" of a process. */
function openFileLimit(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3]);
}

/** Open file descriptors of a process: the entries of /proc/<pid>/fd. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of a process in MiB (VmRSS of /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]) / 1024;
}

/** The highest descriptor count and RSS seen while sampling a process every 20 ms. */
export interface Peaks {
  fds: number;
  rss: number;
  stop(): void;
}

/**
 * Samples a process's descriptors and RSS until `stop()`, keeping the highest of each.
 *
 * @example
 * ```ts
 * const peaks = samplePeaks(hub.pid);
 * await attack();
 * peaks.stop();
 * ```
 */
export function samplePeaks(pid: number): Peaks {
  const peaks: Peaks = { fds: fdCount(pid), rss: rssMiB(pid), stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    try {
      peaks.fds = Math.max(peaks.fds, fdCount(pid));
      peaks.rss = Math.max(peaks.rss, rssMiB(pid));
    } catch {
      // The process is gone.
    }
  }, 20);
  return peaks;
}

/**
 * Waits until the hub holds at most `baseline + slack` descriptors (failing past 20 s), then up to
 * 5 s more for closes still in progress to land (not failing), and returns the count: the figure
 * a case reports as "after".
 */
export async function fdsBackTo(
  hub: LimitedHub,
  baseline: number,
  slack: number,
  what: string,
): Promise<number> {
  await waitFor(() => fdCount(hub.pid) <= baseline + slack, {
    timeoutMs: 20_000,
    message: `${what}: the hub still holds more than ${baseline + slack} descriptors`,
  });
  await waitFor(() => fdCount(hub.pid) <= baseline + 2, { timeoutMs: 5_000 }).catch(() => undefined);
  return fdCount(hub.pid);
}

/** Status of `GET /healthz` on a fresh connection (`Connection: close`, so it holds no socket). */
export async function healthz(hub: LimitedHub): Promise<number> {
  return (await raw(hub.port, { path: '/healthz' })).status;
}

/** Appends `count` events of `bytes` bytes of data each, in batches of 100. */
export async function publishEvents(
  hub: LimitedHub,
  type: string,
  count: number,
  bytes: number,
): Promise<void> {
  const data = { pad: 'x'.repeat(bytes) };
  for (let sent = 0; sent < count; sent += 100) {
    const batch = Array.from({ length: Math.min(100, count - sent) }, () => ({ type, data }));
    const res = await raw(hub.port, {
      method: 'POST',
      path: '/v1/events',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify(batch),
    });
    if (res.status !== 201) throw new Error(`publish: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The value of one sample of the hub's `GET /metrics` (0 when absent). */
export async function metric(hub: LimitedHub, name: string, labels: Record<string, string>): Promise<number> {
  const { body } = await raw(hub.port, {
    path: '/metrics',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = String(body)
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * One line of figures per case, to copy into notes.
 *
 * @example
 * ```ts
 * report('refused upgrades', { baselineFds: 22, peakFds: 72, afterFds: 22, limit: 256, ... });
 * ```
 */
export function report(
  name: string,
  figures: {
    limit: number;
    baselineFds: number;
    peakFds: number;
    afterFds: number | string;
    rssBefore: number;
    rssPeak: number;
    rssAfter: number;
    exit: number | null;
    extra?: string;
  },
): void {
  const mib = (n: number): string => n.toFixed(1);
  console.log(
    `exhaustion | ${name} | ulimit -n ${figures.limit} | fds baseline ${figures.baselineFds}, ` +
      `peak ${figures.peakFds}, after ${figures.afterFds} | RSS MiB before ${mib(figures.rssBefore)}, ` +
      `peak ${mib(figures.rssPeak)}, after ${mib(figures.rssAfter)} | exit ${figures.exit}` +
      (figures.extra === undefined ? '' : ` | ${figures.extra}`),
  );
}
