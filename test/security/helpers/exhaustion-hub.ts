import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../../src/testing/index.js';
import { raw } from './http.js';

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

/** Kills every hub a failed test left running (for `afterEach`). */
export async function killLeftHubs(): Promise<void> {
  for (const hub of [...running]) {
    hub.child.kill('SIGKILL');
    await hub.stop();
  }
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
 * Opens `GET /v1/ws` with the admin key on a bare socket and resolves once the hub accepted it
 * (101). `socket.pause()` stops reading: the hub sees a client that does not read.
 *
 * @example
 * ```ts
 * const ws = await rawWs(hub.port);
 * ws.send(JSON.stringify({ type: 'subscribe', id: 'a' }));
 * ws.socket.pause();
 * ```
 */
export async function rawWs(port: number): Promise<RawWs> {
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
  socket.write(upgradeRequest(port, '/v1/ws', { authorization: `Bearer ${ADMIN_KEY}` }));
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
 * const sent = await floodControlMessages(await rawWs(hub.port), 40_000);
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
