/**
 * Live fan-out: 1,000 connected clients receive every event (about 200 bytes of data; a stored
 * CloudEvent of about 400 bytes as a frame), from four servers in turn, each in this process:
 * - herald: `createServer({ log })` with `GET /v1/sse?types=bench.>` and `POST /v1/events`, on
 *   `memoryLog()` and on `sqliteLog()` (fsync);
 * - bare node:http SSE: `POST /publish` turns each event into the frame Herald sends (`id:`,
 *   `event:`, `data:` with the stored event's JSON) and writes it to every response;
 * - socket.io 4: `POST /publish` emits each event (the same stored-event object) to every socket;
 *   the clients are socket.io-client over the websocket transport.
 * The clients of one system all live in ONE child process, which is also the publisher: it POSTs
 * the events as JSON arrays (the same body for every server), stamping the publish time in each
 * event, and sends the next POST once every client has received the previous one (a closed loop:
 * no server is flooded past what it can deliver). Two patterns: bursts of 20 events per POST
 * (2,000 events), and one event per POST (500 events: nothing to coalesce, every event pays a
 * whole append and round trip). Deliveries/s are all deliveries over the time from the first
 * publish to the last receipt; latency is receipt minus publish time, per delivery, on the
 * child's clock. The SSE clients (herald and bare) are the same hand-written reader over
 * `http.get`. Targets (issue 4): herald >= 0.9x bare deliveries/s, p99 no worse than socket.io's.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as SocketIoServer } from 'socket.io';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { createServer } from '../src/server/index.js';
import { startChild } from './child.js';
import type { FanoutJob, FanoutResult } from './fixtures/fanout-clients.js';
import { printTable, type BenchRow } from './harness.js';

const CLIENTS = Number(process.env.HERALD_BENCH_CLIENTS ?? 1_000);
const PADDING = 150;

/** Events per POST and events in all: bursts of 20, then one event per POST (nothing to coalesce). */
interface Scenario {
  burst: number;
  events: number;
}
const SCENARIOS: Scenario[] = process.env.HERALD_BENCH_BURST
  ? [
      {
        burst: Number(process.env.HERALD_BENCH_BURST),
        events: Number(process.env.HERALD_BENCH_EVENTS ?? 2_000),
      },
    ]
  : [
      { burst: 20, events: 2_000 },
      { burst: 1, events: 500 },
    ];

interface System {
  name: string;
  start(): Promise<{
    connectUrl: string;
    publishUrl: string;
    kind: FanoutJob['kind'];
    stop(): Promise<void>;
  }>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What the alternatives store and send: the shape of Herald's stored event. */
function storedEvents(body: string, next: () => number): Record<string, unknown>[] {
  const time = new Date().toISOString();
  return (JSON.parse(body) as Record<string, unknown>[]).map((event) => ({
    specversion: '1.0',
    id: randomUUID(),
    time,
    source: 'http',
    ...event,
    position: next(),
    recordedat: time,
  }));
}

function publishRoute(handle: (events: Record<string, unknown>[]) => void, next: () => number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST' || req.url !== '/publish') {
      res.writeHead(404).end();
      return;
    }
    void readBody(req).then((body) => {
      const events = storedEvents(body, next);
      handle(events);
      res.writeHead(201, { 'content-type': 'application/json' }).end(`{"published":${events.length}}`);
    });
  };
}

const bare: System = {
  name: 'bare node:http SSE',
  async start() {
    const responses = new Set<ServerResponse>();
    let position = 0;
    const publish = publishRoute(
      (events) => {
        for (const event of events) {
          const frame = Buffer.from(
            `id: ${event.position as number}\nevent: ${event.type as string}\ndata: ${JSON.stringify(event)}\n\n`,
          );
          for (const res of responses) res.write(frame);
        }
      },
      () => ++position,
    );
    const server = createHttpServer((req, res) => {
      if (req.method === 'GET' && req.url?.startsWith('/sse') === true) {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
        });
        res.write('retry: 2000\n\n');
        responses.add(res);
        res.on('close', () => responses.delete(res));
        return;
      }
      publish(req, res);
    });
    const base = await listen(server);
    return {
      kind: 'sse',
      connectUrl: `${base}/sse`,
      publishUrl: `${base}/publish`,
      stop: () => close(server),
    };
  },
};

const socketIo: System = {
  name: 'socket.io 4 (websocket)',
  async start() {
    let position = 0;
    const server = createHttpServer();
    const ioServer = new SocketIoServer(server, { transports: ['websocket'], serveClient: false });
    const publish = publishRoute(
      (events) => {
        for (const event of events) ioServer.emit('event', event);
      },
      () => ++position,
    );
    // A listener added after socket.io's also sees its requests (the websocket transport only upgrades).
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/socket.io/') !== true) publish(req, res);
    });
    const base = await listen(server);
    return {
      kind: 'socket.io',
      connectUrl: base,
      publishUrl: `${base}/publish`,
      stop: async () => {
        ioServer.disconnectSockets(true);
        await close(server);
      },
    };
  },
};

function herald(name: string, open: () => Promise<EventLog>): System {
  return {
    name,
    async start() {
      const log = await open();
      const app = createServer({ log, rateLimit: false, bodyLimit: 16 * 1024 * 1024 });
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      return {
        kind: 'sse',
        connectUrl: `${base}/v1/sse?types=bench.%3E`,
        publishUrl: `${base}/v1/events`,
        stop: async () => {
          await app.close();
          await log.close();
        },
      };
    },
  };
}

async function measure(system: System, { burst, events }: Scenario): Promise<FanoutResult> {
  const server = await system.start();
  const child = startChild<FanoutResult>('fanout-clients', {
    kind: server.kind,
    connectUrl: server.connectUrl,
    publishUrl: server.publishUrl,
    clients: CLIENTS,
    events,
    burst,
    padding: PADDING,
  } satisfies FanoutJob);
  try {
    return await child.next();
  } finally {
    await child.stop();
    await server.stop();
  }
}

export async function runSseFanoutBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-fanout-'));
  const only = process.env.HERALD_BENCH_ONLY; // a prefix of a row's name
  const systems: System[] = [
    herald('herald SSE, memory log', async () => memoryLog()),
    herald('herald SSE, SQLite log (fsync)', () => sqliteLog({ path: join(dir, 'fanout.db') })),
    bare,
    socketIo,
  ].filter((s) => only === undefined || s.name.startsWith(only));
  const tables: { scenario: Scenario; rows: BenchRow[] }[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const rows: BenchRow[] = [];
      for (const system of systems) {
        const r = await measure(system, scenario);
        rows.push({
          name: system.name,
          perSecond: r.deliveries / r.seconds,
          extra: {
            'p50 ms': r.p50.toFixed(1),
            'p99 ms': r.p99.toFixed(1),
            'max ms': r.max.toFixed(1),
            delivered: `${r.deliveries} / ${r.expected}`,
            note: r.error ?? (r.lost > 0 ? `${r.lost} clients lost` : ''),
          },
        });
      }
      tables.push({ scenario, rows });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const { scenario, rows } of tables) {
    printTable(
      `Live fan-out, deliveries/s: ${CLIENTS} clients x ${scenario.events} events (~${PADDING + 50} B of data each), ${scenario.burst === 1 ? 'one event per POST' : `bursts of ${scenario.burst} events per POST`}, the next once every client has the last`,
      rows,
      rows[0]!.name,
    );
  }
}
