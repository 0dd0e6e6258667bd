/**
 * The servers the fault tier breaks. NATS and Redis are private: a `nats-server` and a
 * `redis-server` of the tier's own, on free ports with their own data directories (Redis with
 * `appendfsync always`, so a restart keeps what it acknowledged), started as children so they can
 * be stopped, killed with SIGKILL and started again without touching the machine's shared servers.
 * PostgreSQL is the machine's cluster, restarted with `pg_ctlcluster` while holding its lock (as
 * the restart tests do), with a schema of the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../src/testing/index.js';
import { NATS_DAEMON } from '../fixtures/nats-server.js';
import { POSTGRES_URL, RESTART_MARKER } from '../fixtures/postgres-server.js';

/** A server the tier can stop, crash and start again; `up()` says whether it answers. */
export interface FaultServer {
  readonly name: string;
  /** The URL a hub's `--log` takes (the server's own address, not a proxy's). */
  readonly url: string;
  /** Stops it cleanly (SIGTERM, or a fast shutdown) and waits until it is gone. */
  stop(): Promise<void>;
  /** Kills it with no shutdown at all (SIGKILL, or PostgreSQL's immediate mode). */
  crash(): Promise<void>;
  /** Starts it again and waits until it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  dispose(): Promise<void>;
}

/**
 * Why the tier cannot run its own nats-server (undefined when it can).
 *
 * @example
 * ```ts
 * const why = natsBinaryMissing(); // 'no /usr/sbin/nats-server' on a machine without it
 * ```
 */
export function natsBinaryMissing(): string | undefined {
  return existsSync(NATS_DAEMON) ? undefined : `no ${NATS_DAEMON}`;
}

/**
 * Why the tier cannot run its own redis-server (undefined when it can).
 *
 * @example
 * ```ts
 * const why = redisBinaryMissing();
 * ```
 */
export function redisBinaryMissing(): string | undefined {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'no redis-server on the PATH';
}

/**
 * A free TCP port on 127.0.0.1 (listened on once and released).
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something accepts TCP connections on the port. */
async function listening(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server process of the tier's own: `args` with `port`, started as a child. */
function childServer(
  name: string,
  url: string,
  port: number,
  dir: string,
  command: string,
  args: readonly string[],
): FaultServer {
  let child: ChildProcess | undefined;
  const gone = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await exited;
  };
  const server: FaultServer = {
    name,
    url,
    stop: () => gone('SIGTERM'),
    crash: () => gone('SIGKILL'),
    async start() {
      const started = spawn(command, args, { stdio: 'ignore' });
      child = started;
      await waitFor(() => started.exitCode === null && listening(port), {
        timeoutMs: 20_000,
        message: `${name} did not start on port ${port}`,
      });
      if (started.exitCode !== null) throw new Error(`${name} exited with ${started.exitCode}`);
    },
    async dispose() {
      await gone('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * A private nats-server with JetStream on a free port, started.
 *
 * @example
 * ```ts
 * const nats = await privateNats();
 * await nats.crash();
 * await nats.start();
 * ```
 */
export async function privateNats(): Promise<FaultServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'herald-fault-nats-'));
  // A copy of the binary: the restart tests stop the shared server with `start-stop-daemon
  // --exec /usr/sbin/nats-server`, which stops every process of that executable.
  const binary = join(dir, 'nats-server');
  copyFileSync(NATS_DAEMON, binary);
  const server = childServer('nats', `nats://127.0.0.1:${port}`, port, dir, binary, [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-js',
    '-sd',
    join(dir, 'store'),
  ]);
  await server.start();
  return server;
}

/**
 * A private redis-server on a free port that writes every command to its append-only file before
 * answering (`appendfsync always`), started.
 *
 * @example
 * ```ts
 * const redis = await privateRedis();
 * await redis.stop();
 * ```
 */
export async function privateRedis(): Promise<FaultServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'herald-fault-redis-'));
  const server = childServer('redis', `redis://127.0.0.1:${port}`, port, dir, 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--dir',
    dir,
    '--daemonize',
    'no',
  ]);
  await server.start();
  return server;
}

/** Runs pg_ctlcluster without blocking this process (the clients' timings go on meanwhile). */
async function pgCtl(...args: string[]): Promise<void> {
  const version = readdirSync('/etc/postgresql')[0]!;
  const child = spawn('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', ...args], {
    stdio: 'ignore',
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`pg_ctlcluster ${args.join(' ')} exited with ${code}`);
}

/**
 * The machine's PostgreSQL cluster (the caller holds `holdServerAlone()`): stop is a fast
 * shutdown, crash an immediate one (no checkpoint: the server recovers from its WAL on start).
 *
 * @example
 * ```ts
 * const pg = sharedPostgres();
 * await pg.crash();
 * await pg.start();
 * ```
 */
export function sharedPostgres(): FaultServer {
  const port = Number(new URL(POSTGRES_URL).port || 5432);
  return {
    name: 'postgres',
    url: POSTGRES_URL,
    async stop() {
      writeFileSync(RESTART_MARKER, '');
      await pgCtl('stop', '-m', 'fast');
    },
    async crash() {
      writeFileSync(RESTART_MARKER, '');
      await pgCtl('stop', '-m', 'immediate');
    },
    async start() {
      await pgCtl('start');
      await waitFor(() => listening(port), { timeoutMs: 30_000, message: 'postgres did not start' });
      rmSync(RESTART_MARKER, { force: true });
    },
    async dispose() {
      if (!(await listening(port))) await pgCtl('start');
      rmSync(RESTART_MARKER, { force: true });
    },
  };
}
