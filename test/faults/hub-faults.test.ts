/**
 * The fault tier (`npm run test:faults`, its own vitest config; CI runs it after the suite): each
 * log under each fault, through real hubs and real clients (see fault-run.ts for the load and the
 * counts). PostgreSQL, Redis and NATS run two hubs on one log; SQLite one. Faults: a quick restart
 * of the server, a crash (SIGKILL, or PostgreSQL's immediate shutdown) with the server back 2 s
 * later, an outage longer than the logs' 10 s retry budget, every connection cut by a proxy that
 * then refuses new ones for 3 s, and a hub SIGKILLed and started again 1 s later on its port.
 * Prints one Markdown table (docs/guarantees.md "Under faults" keeps the latest).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, postgresUnreachable } from '../fixtures/postgres-server.js';
import { holdServerAlone } from '../fixtures/postgres-server-lock.js';
import { startProxy, type PostgresProxy } from '../fixtures/postgres-proxy.js';
import { failures, runFault, startHubs, table, type FaultHub, type FaultRow } from './fault-run.js';
import {
  natsBinaryMissing,
  privateNats,
  privateRedis,
  redisBinaryMissing,
  sharedPostgres,
  type FaultServer,
} from '../fixtures/private-servers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * The logs' default retry budget is 10 s: a request may take that, plus the hub's own work.
 * `/readyz` answers within its 2 s deadline; the rest is margin for 2 cores running 2 hubs, a
 * server and the clients.
 */
const LIMITS = { recoveryMs: 3_000, slowestMs: 12_000, readyMs: 3_000 };
const rows: FaultRow[] = [];
let serial = 0;

afterAll(() => {
  console.log(`\n${table(rows)}\n`);
});

interface Namespace {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

interface Target {
  name: string;
  hubs: number;
  /** The server (none for SQLite). */
  server: FaultServer | undefined;
  /** A fresh name space on the log for one scenario. */
  namespace(): Namespace;
  /** The hubs' `--log` for a server URL (or a proxy's). */
  logUrl(serverUrl: string | undefined): string;
}

const SERVERS = ['nats', 'redis', 'postgres'];

type Scenario = {
  name: string;
  /** Only on these backends (every one when absent). */
  only?: string[];
  run(
    target: Target,
    hubs: readonly FaultHub[],
    proxy: PostgresProxy | undefined,
    space: Namespace,
  ): Promise<number>;
};

const SCENARIOS: Scenario[] = [
  {
    name: 'quick restart',
    only: SERVERS,
    async run({ server }) {
      await server!.stop();
      await server!.start();
      return Date.now();
    },
  },
  {
    name: 'crash, back 2 s later',
    only: SERVERS,
    async run({ server }) {
      await server!.crash();
      await sleep(2_000);
      await server!.start();
      return Date.now();
    },
  },
  {
    name: 'down 14 s (past the retry budget)',
    only: SERVERS,
    async run({ server }) {
      await server!.stop();
      await sleep(14_000);
      await server!.start();
      return Date.now();
    },
  },
  {
    name: 'connections cut, refused 3 s',
    only: SERVERS,
    async run(_target, _hubs, proxy) {
      await proxy!.cut();
      await sleep(3_000);
      await proxy!.restore();
      return Date.now();
    },
  },
  {
    // Another process (a backup, a migration, a second writer) holds the write lock for longer
    // than the log's busy timeout (5 s) and retry budget.
    name: 'database locked by another process 12 s',
    only: ['sqlite'],
    async run(_target, _hubs, _proxy, space) {
      const db = new Database(join(space.env['HERALD_DATA']!, 'events.db'));
      try {
        db.exec('BEGIN IMMEDIATE');
        await sleep(12_000);
        db.exec('COMMIT');
      } finally {
        db.close();
      }
      return Date.now();
    },
  },
  {
    name: 'hub SIGKILL, back 1 s later',
    async run(_target, hubs) {
      await hubs[0]!.kill();
      await sleep(1_000);
      await hubs[0]!.start();
      return Date.now();
    },
  },
];

async function scenario(target: Target, s: Scenario): Promise<FaultRow> {
  const space = target.namespace();
  const proxy = s.name.startsWith('connections cut') ? await startProxy(target.server!.url) : undefined;
  const hubs = await startHubs(target.hubs, target.logUrl(proxy?.url ?? target.server?.url), space.env);
  try {
    const row = await runFault(target.name, s.name, hubs, () => s.run(target, hubs, proxy, space));
    rows.push(row);
    return row;
  } finally {
    await Promise.all(hubs.map((h) => h.stop()));
    await proxy?.close();
    await space.cleanup();
  }
}

function describeTarget(
  name: string,
  open: () => Promise<{ target: Target; close(): Promise<void> }>,
  skip?: () => Promise<string | undefined>,
): void {
  describe(`faults: ${name}`, async () => {
    const why = await skip?.();
    if (why !== undefined) {
      if (process.env['CI'] === 'true') throw new Error(`the fault tier needs ${name}: ${why}`);
      it.skip(`needs ${name}: ${why}`, () => undefined);
      return;
    }
    let opened: { target: Target; close(): Promise<void> } | undefined;
    afterAll(async () => opened?.close());
    for (const s of SCENARIOS.filter((x) => x.only === undefined || x.only.includes(name))) {
      it(s.name, { timeout: 120_000 }, async () => {
        opened ??= await open();
        const row = await scenario(opened.target, s);
        // Known and documented (docs/nats.md, docs/guarantees.md): nats-server 2.9.10 answers an
        // ack before it stores it, so an ack confirmed just before the server was killed, or
        // before the hub's connection was cut, can come back once now and then (crash: 1 in 3
        // CI runs; connections cut: 1 in 2 runs on 2026-12-08); counted in the table.
        const nats = name === 'nats' && (s.name.startsWith('crash') || s.name.startsWith('connections cut'));
        expect(failures(row, { ...LIMITS, againAfterAck: nats ? 3 : 0 })).toEqual([]);
      });
    }
  });
}

const unique = (): string => `${Date.now().toString(36)}${(serial++).toString(36)}`;

describeTarget(
  'nats',
  async () => {
    const server = await privateNats();
    return {
      target: {
        name: 'nats',
        hubs: 2,
        server,
        namespace: () => {
          const id = unique();
          return {
            env: { HERALD_NATS__STREAM: `FAULT_${id}`, HERALD_NATS__SUBJECT_PREFIX: `fault_${id}` },
            cleanup: async () => undefined,
          };
        },
        logUrl: (url) => url!,
      },
      close: () => server.dispose(),
    };
  },
  async () => natsBinaryMissing(),
);

describeTarget(
  'redis',
  async () => {
    const server = await privateRedis();
    return {
      target: {
        name: 'redis',
        hubs: 2,
        server,
        namespace: () => ({
          env: { HERALD_REDIS__PREFIX: `fault-${unique()}` },
          cleanup: async () => undefined,
        }),
        logUrl: (url) => url!,
      },
      close: () => server.dispose(),
    };
  },
  async () => redisBinaryMissing(),
);

describeTarget(
  'postgres',
  async () => {
    const release = await holdServerAlone();
    const server = sharedPostgres();
    return {
      target: {
        name: 'postgres',
        hubs: 2,
        server,
        namespace: () => {
          const schema = `herald_fault_${unique()}`;
          return { env: { HERALD_POSTGRES__SCHEMA: schema }, cleanup: () => dropSchemas([schema]) };
        },
        logUrl: (url) => url!,
      },
      close: async () => {
        await server.dispose();
        await release();
      },
    };
  },
  postgresUnreachable,
);

describeTarget('sqlite', async () => ({
  target: {
    name: 'sqlite',
    hubs: 1,
    server: undefined,
    namespace: () => {
      const dir = mkdtempSync(join(tmpdir(), 'herald-fault-sqlite-'));
      return {
        env: { HERALD_DATA: dir },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    logUrl: () => 'sqlite',
  },
  close: async () => undefined,
}));
