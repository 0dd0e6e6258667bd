/**
 * Scale-out: three `herald serve` processes on one shared log (PostgreSQL, Redis, NATS JetStream),
 * 300 SSE clients spread over them, 10,000 single-event POSTs round-robin to all three, and a
 * consumer group with one member per hub pulling and acking over HTTP (`max` 100, `waitMs`
 * 1,000, a 5 ms pause before each ack). The scenario is `test/helpers/scale-out-scenario.ts`, the
 * one `test/scale-out.test.ts` checks (here without killing a hub): the publisher (48 POSTs in
 * flight), the clients (two processes of 150) and the group members each run in a child process,
 * so the hubs have the cores to themselves as far as two cores allow. Everything runs on this
 * machine, the database servers included: the numbers are the whole system's on these cores.
 *
 * Columns: POST throughput (events acked with 201 per second of publishing); SSE deliveries/s
 * (every client's events, over the time from the first POST to the last delivery); end-to-end
 * latency p50/p99 (from the publisher stamping an event to a client reading it, every delivery);
 * group handled/s (events handled by the group over the time from the first POST to the last
 * first handling). `SCALE_OUT_CLIENTS`, `SCALE_OUT_EVENTS` and `SCALE_OUT_ONLY` (postgres,
 * redis or nats) change the run.
 */
import { SCALE_OUT_BACKENDS } from '../test/helpers/scale-out-backends.js';
import { runScaleOut, type ScaleOutReport } from '../test/helpers/scale-out-scenario.js';

const CLIENTS = Number(process.env.SCALE_OUT_CLIENTS ?? 300);
const EVENTS = Number(process.env.SCALE_OUT_EVENTS ?? 10_000);

const rate = (n: number): string => (n >= 1e3 ? `${(n / 1e3).toFixed(1)} k/s` : `${n.toFixed(0)} /s`);

/** What is wrong with a run, in a few words (empty when every client and the group got everything). */
function problems(report: ScaleOutReport): string {
  const out: string[] = [];
  const expected = report.log.length;
  const off = report.sse.filter((c) => c.count !== expected || c.error !== undefined).length;
  if (report.log.length !== report.events) out.push(`log has ${report.log.length} events`);
  if (off > 0) out.push(`${off} clients off`);
  const handled = new Set(report.group.all.map(([position]) => position)).size;
  if (handled !== report.events) out.push(`group handled ${handled}`);
  if (report.timeouts.length > 0) out.push(`${report.timeouts.length} waits timed out`);
  if (report.publish.failures.length > 0) out.push(`${report.publish.failures.length} POSTs failed`);
  return out.join('; ');
}

export async function runScaleOutBench(): Promise<void> {
  const only = process.env.SCALE_OUT_ONLY;
  const rows: string[] = [];
  for (const backend of SCALE_OUT_BACKENDS) {
    if (only !== undefined && backend.name !== only) continue;
    let reason: string | undefined;
    try {
      reason = await backend.unreachable();
    } catch (error) {
      reason = (error as Error).message;
    }
    if (reason !== undefined) {
      rows.push(`| ${backend.name} | skipped: ${reason} | | | | | | |`);
      continue;
    }
    try {
      const r = await runScaleOut({ backend, clients: CLIENTS, events: EVENTS, kill: false });
      const seconds = (at: number) => (at - r.startedAt) / 1000;
      const handled = new Set(r.group.all.map(([position]) => position)).size;
      rows.push(
        `| ${backend.name} | ${rate(r.published.length / r.publish.seconds)} | ${r.publish.p99.toFixed(1)} | ` +
          `${rate(r.sseDeliveries / seconds(r.sseLastAt))} | ${r.latency.p50.toFixed(1)} | ${r.latency.p99.toFixed(1)} | ` +
          `${rate(handled / seconds(r.group.lastNewAt))} | ${problems(r)} |`,
      );
    } catch (error) {
      rows.push(`| ${backend.name} | failed: ${(error as Error).message.slice(0, 300)} | | | | | | |`);
    }
  }
  console.log(
    `\n### Scale-out: 3 hubs, ${CLIENTS} SSE clients, ${EVENTS} single-event POSTs round-robin, a group with one member per hub\n`,
  );
  console.log(
    '| shared log | POST events/s (201) | POST p99 ms | SSE deliveries/s (all clients) | end-to-end p50 ms | end-to-end p99 ms | group handled/s | problems |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const row of rows) console.log(row);
}
