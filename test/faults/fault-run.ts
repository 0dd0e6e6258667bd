/**
 * One fault scenario through real hubs, counted. `herald serve` processes (1 or 2) run on one log;
 * on each hub: 4 POST loops (one event per request, known ids; a failed request is retried with
 * the same id until it is stored, as a careful client does), a consumer-group member pulling and
 * acking over HTTP, a browser-like SSE client (the `eventsource` package: it gives up for good on
 * a 5xx or a wrong content type, as browsers do, and otherwise reconnects with `Last-Event-ID`),
 * Herald's own client over WebSocket (`transport: 'websocket'`: it retries an outage and resumes
 * after the last event it delivered), and a `/readyz` probe every 250 ms. After 2 s of load the scenario's fault is injected; once it
 * is over, 6 s more. Then every stored event is read back through a hub and compared with what
 * the clients were told and what they saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { createClient, type WebSocketConstructor } from '../../src/client/index.js';
import { waitFor } from '../../src/testing/index.js';
import { freePort } from '../fixtures/private-servers.js';

const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/** `HERALD_TEST_FAULT_DEBUG=1` prints when each event handed out again after its ack was acked. */
const DEBUG = process.env['HERALD_TEST_FAULT_DEBUG'] === '1';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One `herald serve` process on a fixed port, which can be killed and started again there. */
export class FaultHub {
  readonly base: string;
  #child: ChildProcess | undefined;
  #output = '';
  /** True from a deliberate kill until the hub listens again. */
  down = false;

  constructor(
    readonly port: number,
    readonly log: string,
    readonly env: Record<string, string>,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  /** What the hub printed (stdout and stderr), all of its lives. */
  get output(): string {
    return this.#output;
  }

  async start(): Promise<void> {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^HERALD_(TEST|BENCH)_/.test(name)),
    );
    const child = spawn(process.execPath, [bin, 'serve', '--port', String(this.port), '--log', this.log], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, HERALD_LOG_LEVEL: 'warn', HERALD_SHUTDOWN_GRACE_MS: '2000', ...this.env },
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        this.#output += chunk.toString();
        seen += chunk.toString();
        if (seen.includes('herald listening on')) resolve();
      });
      child.stderr.on('data', (chunk: Buffer) => (this.#output += chunk.toString()));
      child.once('exit', (code, signal) =>
        reject(
          new Error(`hub on ${this.port} exited (${code ?? signal}) before listening:\n${this.#output}`),
        ),
      );
    });
    this.down = false;
  }

  /** SIGKILL: no drain, no goodbye. */
  async kill(): Promise<void> {
    this.down = true;
    await this.#end('SIGKILL');
  }

  /** SIGTERM; resolves once it exited. */
  stop(): Promise<void> {
    return this.#end('SIGTERM');
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

/**
 * Starts `count` hubs on free ports on the log at `url` with `env`, the first alone (it creates
 * what the others open).
 *
 * @example
 * ```ts
 * const hubs = await startHubs(2, 'nats://127.0.0.1:4222', { HERALD_NATS__STREAM: 'S' });
 * ```
 */
export async function startHubs(
  count: number,
  url: string,
  env: Record<string, string>,
): Promise<FaultHub[]> {
  const hubs: FaultHub[] = [];
  for (let i = 0; i < count; i++) {
    const hub = new FaultHub(await freePort(), url, env);
    await hub.start();
    hubs.push(hub);
  }
  return hubs;
}

/** What one scenario counted. */
export interface FaultRow {
  backend: string;
  scenario: string;
  /** Ids whose POST got a 2xx. */
  acked: number;
  /** Answers 503 with LOG_UNREACHABLE / TRANSPORT_UNAVAILABLE and a Retry-After, by route. */
  outage: number;
  /** Requests to a hub while it was deliberately killed (refused or cut connections). */
  hubDown: number;
  /** Any other answer or failure: a sample of each kind, with how many. */
  other: Map<string, number>;
  /** A first attempt answered `duplicate: true`. */
  falseDuplicates: number;
  lost: number;
  storedTwice: number;
  slowestMs: number;
  /** The route of the slowest request. */
  slowestRoute: string;
  /** The slowest `/readyz` answer, and how many said not ready. */
  readySlowestMs: number;
  notReady: number;
  /** From the end of the fault to the first request started after it that succeeded (POST). */
  recoveryMs: number;
  sseEvents: number;
  sseGaps: number;
  sseDuplicates: number;
  /** SSE clients that gave up (the `eventsource` package closed for good). */
  sseGaveUp: number;
  sseReconnects: number;
  /** The same over WebSocket, through `herald/client` (gave up: its subscription ended). */
  wsEvents: number;
  wsGaps: number;
  wsDuplicates: number;
  wsGaveUp: number;
  groupAcked: number;
  /** Deliveries of an event after an ack of it was answered `acked`. */
  againAfterAck: number;
  /** Acks answered `expired` or `unknown` (the ack wait passed, or the hub lost the receipt). */
  acksTooLate: number;
}

/** What the scenario's fault does; resolves with the time it was over (the server or hub back). */
export type Inject = (hubs: readonly FaultHub[]) => Promise<number>;

const GROUP = 'faults';
const PULL = { types: ['f.load'], max: 20, waitMs: 500, ackWaitMs: 5_000, startAt: 'start' };

interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
}

async function call(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { text: text.slice(0, 200) };
  }
  return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
}

const postJson = (base: string, path: string, body: unknown): Promise<Answer> =>
  call(base, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/**
 * Runs one scenario on `hubs` (already started on a fresh log) and counts it.
 *
 * @example
 * ```ts
 * const row = await runFault('nats', 'crash', hubs, async () => { await server.crash(); ...; return Date.now(); });
 * ```
 */
export async function runFault(
  backend: string,
  scenario: string,
  hubs: readonly FaultHub[],
  inject: Inject,
): Promise<FaultRow> {
  const row: FaultRow = {
    backend,
    scenario,
    acked: 0,
    outage: 0,
    hubDown: 0,
    other: new Map(),
    falseDuplicates: 0,
    lost: 0,
    storedTwice: 0,
    slowestMs: 0,
    slowestRoute: '',
    readySlowestMs: 0,
    notReady: 0,
    recoveryMs: -1,
    sseEvents: 0,
    sseGaps: 0,
    sseDuplicates: 0,
    sseGaveUp: 0,
    sseReconnects: 0,
    wsEvents: 0,
    wsGaps: 0,
    wsDuplicates: 0,
    wsGaveUp: 0,
    groupAcked: 0,
    againAfterAck: 0,
    acksTooLate: 0,
  };
  const run = { stop: false };
  const stopped = (): boolean => run.stop;
  let faultAt = Infinity;
  let faultOverAt = Infinity;
  const ackedIds = new Set<string>();
  const ackedPositions = new Set<number>();
  const ackedAt = new Map<number, string>();

  const other = (what: string): void => {
    row.other.set(what, (row.other.get(what) ?? 0) + 1);
  };
  /** Classifies one answer (or thrown failure); true when it succeeded. */
  const classify = (route: string, hub: FaultHub, started: number, outcome: Answer | Error): boolean => {
    if (Date.now() - started > row.slowestMs) {
      row.slowestMs = Date.now() - started;
      row.slowestRoute = route;
    }
    if (outcome instanceof Error) {
      if (hub.down) row.hubDown++;
      else
        other(
          `${route}: ${outcome.name}: ${(outcome.cause as Error | undefined)?.message ?? outcome.message}`,
        );
      return false;
    }
    if (outcome.status < 300) return true;
    const code = (outcome.body['error'] as { code?: string } | undefined)?.code;
    if (
      outcome.status === 503 &&
      (code === 'LOG_UNREACHABLE' || code === 'TRANSPORT_UNAVAILABLE') &&
      outcome.retryAfter !== null
    ) {
      row.outage++;
      return false;
    }
    other(`${route}: ${outcome.status} ${code ?? JSON.stringify(outcome.body).slice(0, 120)}`);
    return false;
  };
  const attempt = async (route: string, hub: FaultHub, send: () => Promise<Answer>) => {
    const started = Date.now();
    const outcome = await send().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    return { started, ok: classify(route, hub, started, outcome), outcome };
  };

  const posting = hubs.flatMap((hub, h) =>
    Array.from({ length: 4 }, async (_, k) => {
      for (let n = 0; !run.stop; n++) {
        const id = `f-${h}-${k}-${n}`;
        // (read through a call: the outer loop's check would narrow `run.stop` here)
        for (let tries = 0; !stopped(); tries++) {
          const { started, ok, outcome } = await attempt('POST /v1/events', hub, () =>
            postJson(hub.base, '/v1/events', { id, type: 'f.load', data: { h, k, n } }),
          );
          if (ok) {
            ackedIds.add(id);
            const [stored] = (outcome as Answer).body['events'] as { duplicate: boolean }[];
            if (tries === 0 && stored?.duplicate === true) row.falseDuplicates++;
            if (row.recoveryMs < 0 && started >= faultOverAt) row.recoveryMs = Date.now() - faultOverAt;
            break;
          }
          await sleep(200);
        }
      }
    }),
  );

  const members = hubs.map(async (hub) => {
    while (!run.stop) {
      const pulled = await attempt('pull', hub, () => postJson(hub.base, `/v1/groups/${GROUP}/pull`, PULL));
      if (!pulled.ok) {
        await sleep(200);
        continue;
      }
      const deliveries = (pulled.outcome as Answer).body['deliveries'] as {
        receipt: string;
        deliveryCount: number;
        event: { position: number };
      }[];
      if (deliveries.length === 0) continue;
      for (const d of deliveries)
        if (ackedPositions.has(d.event.position)) {
          row.againAfterAck++;
          if (DEBUG)
            console.log(
              `again after ack: position ${d.event.position} (delivery ${d.deliveryCount}) on hub ${hubs.indexOf(hub)}; acked ${ackedAt.get(d.event.position)}; fault from ${faultAt} to ${faultOverAt}`,
            );
        }
      const settled = await attempt('ack', hub, () =>
        postJson(hub.base, `/v1/groups/${GROUP}/ack`, { receipts: deliveries.map((d) => d.receipt) }),
      );
      if (!settled.ok) continue;
      const results = (settled.outcome as Answer).body['results'] as {
        receipt: string;
        status: string;
        error?: { code: string };
      }[];
      results.forEach((r, i) => {
        if (r.status === 'acked') {
          row.groupAcked++;
          ackedPositions.add(deliveries[i]!.event.position);
          if (DEBUG)
            ackedAt.set(deliveries[i]!.event.position, `at ${Date.now()} on hub ${hubs.indexOf(hub)}`);
        } else if (r.status === 'expired' || r.status === 'unknown') row.acksTooLate++;
        else if (r.status === 'failed' && r.error?.code === 'LOG_UNREACHABLE') row.outage++;
        else other(`ack: ${r.status} ${r.error?.code ?? ''}`);
      });
    }
  });

  const probes = hubs.map(async (hub) => {
    while (!run.stop) {
      const started = Date.now();
      const answer = await call(hub.base, '/readyz').catch(() => undefined);
      if (answer !== undefined) {
        row.readySlowestMs = Math.max(row.readySlowestMs, Date.now() - started);
        if (answer.status !== 200) row.notReady++;
      }
      await sleep(250);
    }
  });

  const seen: number[][] = hubs.map(() => []);
  const sources = hubs.map((hub, h) => {
    const source = new EventSource(`${hub.base}/v1/sse?types=f.load&from=start`);
    let opened = 0;
    source.onopen = () => {
      if (opened++ > 0) row.sseReconnects++;
    };
    source.onmessage = (e) => seen[h]!.push(Number(e.lastEventId));
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) row.sseGaveUp++;
    };
    return source;
  });

  const wsSeen: number[][] = hubs.map(() => []);
  const wsEnded: (string | undefined)[] = hubs.map(() => undefined);
  const clients = hubs.map((hub, h) => {
    const client = createClient({
      url: hub.base,
      transport: 'websocket',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      retry: { initialMs: 200, maxMs: 2_000 },
    });
    const sub = client.subscribe('f.load', (e) => void wsSeen[h]!.push(Number(e.position)), {
      from: 'start',
    });
    sub.closed.catch((e: unknown) => (wsEnded[h] = String(e)));
    return client;
  });

  try {
    await sleep(2_000);
    faultAt = Date.now();
    faultOverAt = await inject(hubs);
    await sleep(6_000);
  } finally {
    run.stop = true;
    await Promise.all([...posting, ...members, ...probes]);
  }

  // Everything stored, read through a hub that is up.
  const reader = hubs.find((h) => !h.down)!;
  const counts = new Map<string, number>();
  const positions: number[] = [];
  for (let after = 0; ;) {
    const page = await call(reader.base, `/v1/events?types=f.load&after=${after}&limit=1000`);
    if (page.status !== 200) throw new Error(`read back: ${page.status} ${JSON.stringify(page.body)}`);
    const events = page.body['events'] as { id: string; position: number }[];
    for (const e of events) {
      counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
      positions.push(e.position);
    }
    if (events.length === 0) break;
    after = page.body['next'] as number;
  }
  row.acked = ackedIds.size;
  for (const id of ackedIds) if (!counts.has(id)) row.lost++;
  for (const count of counts.values()) if (count > 1) row.storedTwice++;

  // Each SSE client has every stored event, once (unless it gave up).
  const last = positions.at(-1) ?? 0;
  await waitFor(
    () => seen.every((s, h) => sources[h]!.readyState === EventSource.CLOSED || s.includes(last)),
    {
      timeoutMs: 20_000,
    },
  ).catch(() => undefined);
  await waitFor(() => wsSeen.every((s, h) => wsEnded[h] !== undefined || s.includes(last)), {
    timeoutMs: 20_000,
  }).catch(() => undefined);
  for (const source of sources) source.close();
  for (const client of clients) client.close();
  row.wsGaveUp = wsEnded.filter((e) => e !== undefined).length;
  for (const s of wsSeen) {
    const set = new Set(s);
    row.wsEvents += s.length;
    row.wsDuplicates += s.length - set.size;
    row.wsGaps += positions.filter((p) => !set.has(p)).length;
  }
  for (const s of seen) {
    const set = new Set(s);
    row.sseEvents += s.length;
    row.sseDuplicates += s.length - set.size;
    row.sseGaps += positions.filter((p) => !set.has(p)).length;
  }
  // A 5xx other than 503 is a bug: show what the hub logged about it (its error lines).
  if ([...row.other.keys()].some((k) => / 5\d\d /.test(k) && !k.includes(' 503 '))) {
    for (const hub of hubs) {
      const errors = hub.output.split('\n').filter((line) => line.includes('"level":50'));
      if (errors.length > 0)
        console.error(`${backend} ${scenario}: hub ${hub.port} logged\n${errors.slice(0, 5).join('\n')}`);
    }
  }
  return row;
}

/** Why a row fails the tier (empty when it passes). */
export function failures(
  row: FaultRow,
  limits: { recoveryMs: number; slowestMs: number; readyMs: number; againAfterAck?: number },
): string[] {
  const name = `${row.backend} ${row.scenario}`;
  const out: string[] = [];
  if (row.acked === 0) out.push(`${name}: nothing was acknowledged`);
  if (row.lost > 0) out.push(`${name}: ${row.lost} acknowledged events lost`);
  if (row.storedTwice > 0) out.push(`${name}: ${row.storedTwice} events stored twice`);
  if (row.falseDuplicates > 0) out.push(`${name}: ${row.falseDuplicates} first attempts answered duplicate`);
  for (const [what, n] of row.other) out.push(`${name}: ${n} x ${what}`);
  if (row.slowestMs > limits.slowestMs) out.push(`${name}: a request took ${row.slowestMs} ms`);
  if (row.readySlowestMs > limits.readyMs) out.push(`${name}: /readyz took ${row.readySlowestMs} ms`);
  if (row.recoveryMs < 0) out.push(`${name}: no POST succeeded after the fault`);
  else if (row.recoveryMs > limits.recoveryMs)
    out.push(`${name}: POSTs succeeded again only ${row.recoveryMs} ms after the fault`);
  if (row.sseGaveUp > 0) out.push(`${name}: ${row.sseGaveUp} SSE clients gave up`);
  if (row.sseGaps + row.sseDuplicates > 0)
    out.push(`${name}: SSE clients missed ${row.sseGaps} and saw ${row.sseDuplicates} twice`);
  if (row.wsGaveUp > 0) out.push(`${name}: ${row.wsGaveUp} WebSocket subscriptions ended`);
  if (row.wsGaps + row.wsDuplicates > 0)
    out.push(`${name}: WebSocket clients missed ${row.wsGaps} and saw ${row.wsDuplicates} twice`);
  if (row.againAfterAck > (limits.againAfterAck ?? 0))
    out.push(`${name}: ${row.againAfterAck} deliveries after an acked ack`);
  return out;
}

/** The rows as one Markdown table. */
export function table(rows: readonly FaultRow[]): string {
  const head =
    '| backend | fault | acked POSTs | 503 answers | refused (hub down) | other errors | lost | stored twice | first attempt "duplicate" | slowest request | slowest /readyz | POSTs back after | SSE events (gaps / dups / gave up / reconnects) | WebSocket events (gaps / dups / ended) | group acks (again after ack / too late) |';
  const lines = rows.map((r) => {
    const others = [...r.other.values()].reduce((a, b) => a + b, 0);
    return `| ${r.backend} | ${r.scenario} | ${r.acked} | ${r.outage} | ${r.hubDown} | ${others} | ${r.lost} | ${r.storedTwice} | ${r.falseDuplicates} | ${r.slowestMs} ms (${r.slowestRoute}) | ${r.readySlowestMs} ms | ${r.recoveryMs} ms | ${r.sseEvents} (${r.sseGaps} / ${r.sseDuplicates} / ${r.sseGaveUp} / ${r.sseReconnects}) | ${r.wsEvents} (${r.wsGaps} / ${r.wsDuplicates} / ${r.wsGaveUp}) | ${r.groupAcked} (${r.againAfterAck} / ${r.acksTooLate}) |`;
  });
  return [head, `|${' --- |'.repeat(2)}${' ---: |'.repeat(13)}`, ...lines].join('\n');
}
