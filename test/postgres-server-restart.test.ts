/**
 * The conformance `server restart` cases on PostgreSQL, against a cluster of this file's own
 * (initdb in a temporary directory, a free port), killed with an immediate shutdown (no
 * checkpoint: recovery from the WAL on start) and started again under the case's log. The
 * machine's shared cluster is never touched, so no lock is needed. Skipped where the server
 * binaries are not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, vi } from 'vitest';
import { postgresLog } from '../src/backends/postgres/index.js';
import { describeEventLogConformance, type ConformanceContext } from '../src/testing/index.js';
import { freePort } from './fixtures/private-servers.js';

// A case waits for a kill, WAL recovery and the log's reconnect.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const ROOT = '/usr/lib/postgresql';
const bin = existsSync(ROOT)
  ? readdirSync(ROOT)
      .map((version) => join(ROOT, version, 'bin'))
      .find((dir) => existsSync(join(dir, 'initdb')))
  : undefined;
// initdb and postgres refuse to run as root: as root, run them as the postgres user.
const asRoot = process.getuid?.() === 0;

/** Runs a server binary (as the postgres user when this process is root); rejects on failure. */
function run(tool: string, args: readonly string[]): Promise<void> {
  const command = asRoot ? 'runuser' : join(bin!, tool);
  const argv = asRoot ? ['-u', 'postgres', '--', join(bin!, tool), ...args] : [...args];
  const child = spawn(command, argv, { stdio: 'ignore' });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${tool} ${args[0]} exited with ${code}`)),
    ),
  );
}

const missing =
  bin === undefined
    ? `no PostgreSQL server binaries under ${ROOT}`
    : asRoot && spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0
      ? 'running as root without a postgres user'
      : undefined;

if (missing !== undefined) {
  describe('EventLog conformance: postgres (private cluster, restarted)', () => {
    it.skip(`needs a private PostgreSQL cluster: ${missing}`, () => undefined);
  });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'herald-server-restart-pg-'));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  const pgCtl = (...args: string[]) => run('pg_ctl', [...args, '-D', data, '-w']);
  const start = () =>
    pgCtl('start', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`);
  await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  await start();
  afterAll(async () => {
    await pgCtl('stop', '-m', 'immediate').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  describeEventLogConformance({
    name: 'postgres (private cluster, restarted)',
    only: ['server restart'],
    createLog: (ctx: ConformanceContext) =>
      postgresLog({ connectionString: url, schema: `herald_sr_${ctx.prefix}`, scheduler: ctx.scheduler }),
    restartServer: async () => {
      await pgCtl('stop', '-m', 'immediate');
      await start();
    },
  });
}
