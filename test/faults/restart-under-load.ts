/**
 * The fault tier (`npm run test:faults`): each server-backed log under load through a restart of
 * its server, counted. For each backend: 8 append loops (one event each, known ids), a consumer
 * group member acking what it pulls, and a live tail; 2 s of load, a quick restart of the server
 * (stopped and started before the clients notice), 6 s more. Then the log is read back and the run
 * fails unless: no acknowledged append is lost or stored twice, every call answered (success or
 * LOG_UNREACHABLE, never another error, never after more than 10 s), the tail has no gap and no
 * duplicate, and no event the group acked was handed out again. Prints one Markdown table.
 *
 * Needs the local servers (it restarts them, holding the same locks as the restart tests).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { natsLog } from '../../src/backends/nats/index.js';
import { postgresLog } from '../../src/backends/postgres/index.js';
import { HeraldError } from '../../src/errors/index.js';
import type { EventLog } from '../../src/log/types.js';
import { waitFor } from '../../src/testing/index.js';
import { NATS_DAEMON, NATS_SERVER_ARGS, NATS_URL, natsUnreachable } from '../fixtures/nats-server.js';
import { holdNatsAlone } from '../fixtures/nats-server-lock.js';
import {
  dropSchemas,
  POSTGRES_URL,
  postgresUnreachable,
  RESTART_MARKER,
  uniqueSchema,
} from '../fixtures/postgres-server.js';
import { holdServerAlone as holdPostgresAlone } from '../fixtures/postgres-server-lock.js';

const HUNG_MS = 10_000;

interface Backend {
  name: string;
  unreachable(): Promise<string | undefined>;
  hold(): Promise<() => Promise<void>>;
  open(): Promise<{ log: EventLog; cleanup: () => Promise<void> }>;
  restart(): void;
}

const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const backends: Backend[] = [
  {
    name: 'nats',
    unreachable: natsUnreachable,
    hold: () => holdNatsAlone(),
    open: async () => ({
      log: await natsLog({
        servers: NATS_URL,
        stream: `HERALD_FAULT_${suffix}`,
        subjectPrefix: `fault_${suffix}`,
      }),
      cleanup: async () => undefined,
    }),
    restart: () => {
      execFileSync('start-stop-daemon', [
        '--stop',
        '--oknodo',
        '--retry',
        'TERM/10/KILL/5',
        '--exec',
        NATS_DAEMON,
      ]);
      execFileSync('start-stop-daemon', [
        '--start',
        '--oknodo',
        '--background',
        '--exec',
        NATS_DAEMON,
        '--',
        ...NATS_SERVER_ARGS,
      ]);
    },
  },
  {
    name: 'postgres',
    unreachable: postgresUnreachable,
    hold: () => holdPostgresAlone(),
    open: async () => {
      const schema = uniqueSchema('fault');
      return {
        log: await postgresLog({ connectionString: POSTGRES_URL, schema }),
        cleanup: () => dropSchemas([schema]),
      };
    },
    restart: () => {
      const version = readdirSync('/etc/postgresql')[0]!;
      writeFileSync(RESTART_MARKER, '');
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], {
        stdio: 'ignore',
      });
    },
  },
];

interface Row {
  backend: string;
  acked: number;
  unreachable: number;
  lost: number;
  storedTwice: number;
  rawErrors: string[];
  slowestMs: number;
  recoveryMs: number;
  tailGaps: number;
  tailDuplicates: number;
  againAfterAck: number;
}

async function run(backend: Backend): Promise<Row> {
  const release = await backend.hold();
  const { log, cleanup } = await backend.open();
  const row: Row = {
    backend: backend.name,
    acked: 0,
    unreachable: 0,
    lost: 0,
    storedTwice: 0,
    rawErrors: [],
    slowestMs: 0,
    recoveryMs: -1,
    tailGaps: 0,
    tailDuplicates: 0,
    againAfterAck: 0,
  };
  const run = { stop: false };
  const ackedIds = new Set<string>();
  let serverBackAt = Infinity;
  const record = (started: number, outcome: unknown): void => {
    const ms = Date.now() - started;
    row.slowestMs = Math.max(row.slowestMs, ms);
    if (outcome === undefined) return;
    if (outcome instanceof HeraldError && outcome.code === 'LOG_UNREACHABLE') row.unreachable++;
    else
      row.rawErrors.push(outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : inspect(outcome));
  };
  try {
    await log.append([{ type: 'f.warm', data: {} }]);
    const group = await log.group('fault', { types: ['f.>'], startAt: 'start', ackWaitMs: 5_000 });
    const tail = log.subscribe({ from: 'start' });
    const tailSeen: number[] = [];
    const tailing = (async () => {
      for await (const e of tail) tailSeen.push(e.position);
    })();
    const loops = Array.from({ length: 8 }, async (_, k) => {
      for (let n = 0; !run.stop; n++) {
        const id = `f-${k}-${n}`;
        const started = Date.now();
        const outcome = await log.append([{ id, type: 'f.load', data: { k, n } }]).then(
          () => undefined,
          (e: unknown) => e,
        );
        record(started, outcome);
        if (outcome === undefined) {
          ackedIds.add(id);
          if (row.recoveryMs < 0 && started >= serverBackAt) row.recoveryMs = Date.now() - serverBackAt;
        } else await new Promise((r) => setTimeout(r, 100));
      }
    });
    const ackedPositions = new Set<number>();
    const member = (async () => {
      while (!run.stop) {
        const started = Date.now();
        const pulled = await group.pull({ max: 50, waitMs: 300 }).catch((e: unknown) => e);
        if (!Array.isArray(pulled)) {
          record(started, pulled);
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        for (const d of pulled) {
          if (ackedPositions.has(d.event.position)) row.againAfterAck++;
          const t = Date.now();
          const acked = await d.ack().then(
            () => undefined,
            (e: unknown) => e,
          );
          record(t, acked);
          if (acked === undefined) ackedPositions.add(d.event.position);
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 2_000));
    backend.restart();
    await waitFor(async () => (await backend.unreachable().catch(() => 'down')) === undefined, {
      timeoutMs: 30_000,
      message: `${backend.name} did not come back`,
    });
    serverBackAt = Date.now();
    await new Promise((r) => setTimeout(r, 6_000));
    run.stop = true;
    await Promise.all([...loops, member]);
    // Every stored event, then the counts.
    const stored = new Map<string, number>();
    const positions: number[] = [];
    for await (const e of log.read({ types: ['f.load'] })) {
      stored.set(e.id, (stored.get(e.id) ?? 0) + 1);
      positions.push(e.position);
    }
    row.acked = ackedIds.size;
    for (const id of ackedIds) if (!stored.has(id)) row.lost++;
    for (const count of stored.values()) if (count > 1) row.storedTwice++;
    await waitFor(() => positions.every((p) => tailSeen.includes(p)), { timeoutMs: 15_000 }).catch(
      () => undefined,
    );
    const tailSet = new Set(tailSeen);
    row.tailDuplicates = tailSeen.length - tailSet.size;
    row.tailGaps = positions.filter((p) => !tailSet.has(p)).length;
    await tail.close();
    await tailing;
  } finally {
    run.stop = true;
    await log.close().catch(() => undefined);
    await cleanup().catch(() => undefined);
    rmSync(RESTART_MARKER, { force: true });
    await release();
  }
  return row;
}

const rows: Row[] = [];
for (const backend of backends) {
  const why = await backend.unreachable();
  if (why !== undefined) {
    if (process.env['CI'] === 'true') throw new Error(`the fault tier needs ${backend.name}: ${why}`);
    console.log(`skipped ${backend.name}: ${why}`);
    continue;
  }
  rows.push(await run(backend));
}
console.log(
  '\n| backend | acked appends | LOG_UNREACHABLE answers | lost | stored twice | other errors | slowest call | appends back after | tail gaps / duplicates | handed out again after an ack |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.backend} (quick restart) | ${r.acked} | ${r.unreachable} | ${r.lost} | ${r.storedTwice} | ${r.rawErrors.length} | ${r.slowestMs} ms | ${r.recoveryMs} ms | ${r.tailGaps} / ${r.tailDuplicates} | ${r.againAfterAck} |`,
  );
}
const failures = rows.flatMap((r) => [
  ...(r.lost > 0 ? [`${r.backend}: ${r.lost} acknowledged appends lost`] : []),
  ...(r.storedTwice > 0 ? [`${r.backend}: ${r.storedTwice} events stored twice`] : []),
  ...r.rawErrors.slice(0, 3).map((e) => `${r.backend}: a call failed with ${e}`),
  ...(r.slowestMs > HUNG_MS ? [`${r.backend}: a call took ${r.slowestMs} ms`] : []),
  ...(r.recoveryMs < 0 ? [`${r.backend}: no append succeeded after the server came back`] : []),
  ...(r.tailGaps + r.tailDuplicates > 0 ? [`${r.backend}: the tail has gaps or duplicates`] : []),
  ...(r.againAfterAck > 0 ? [`${r.backend}: ${r.againAfterAck} events handed out again after an ack`] : []),
]);
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
process.exit(0);
