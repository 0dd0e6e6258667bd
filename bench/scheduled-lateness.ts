/**
 * Scheduled delivery: how late a due event reaches a consumer, on every backend, beside BullMQ's
 * delayed jobs on the same Redis (127.0.0.1 unless the `HERALD_BENCH_*_URL` variables say
 * otherwise). Each subject runs in a child process of its own
 * (`fixtures/scheduled-lateness-subject.ts`) with 100,000 events scheduled; 10,000 of them come
 * due at 1,000 per second over a 10 s window (10 every 10 ms), the other 90,000 stay pending (due
 * from 10 minutes on). A Herald log is consumed by a tail `subscribe({ from: 'end' })` in the
 * same process; BullMQ by a Worker (concurrency 50). Lateness = `Date.now()` at receipt minus
 * the due time in the event's data. RSS is the child's, after a GC, before scheduling and at the
 * end of the window; "heap end" is the V8 heap in use then (RSS keeps pages a GC freed, so it
 * shows the peak more than what is held). A backend whose log does not schedule yet
 * (`CAPABILITY_NOT_SUPPORTED`) or whose server is unreachable gets a row saying why. Everything
 * a subject stored (schema, keys, streams, file) is removed after it.
 * `SCHEDULED_LATENESS_ONLY=memory,bullmq` runs some subjects; `SCHEDULED_LATENESS_WINDOW_S`
 * changes the window.
 */
import { startChild } from './child.js';

/** The subjects, in table order. */
export const SUBJECTS = ['memory', 'sqlite', 'postgres', 'redis', 'nats', 'bullmq'] as const;
export type Subject = (typeof SUBJECTS)[number];

/** What a child runs. */
export interface LatenessJob {
  subject: Subject;
  /** Events scheduled in all (the window's included). */
  pending: number;
  /** Events coming due per second in the window. */
  rate: number;
  /** How long events keep coming due in the measured window. */
  windowMs: number;
  /** How long after the window's last due time the consumer may still receive. */
  graceMs: number;
  postgresUrl: string;
  redisUrl: string;
  natsServers: string;
}

/** What one subject measured (times in ms, RSS in bytes), or why it could not run. */
export type LatenessResult =
  | {
      ok: true;
      /** Events due in the window, and how many of them the consumer saw. */
      expected: number;
      received: number;
      /** Lateness percentiles over the events received. */
      p50: number;
      p99: number;
      max: number;
      /** Events seen before their due time (must be 0). */
      early: number;
      /** Scheduling the events due later (`pending - expected`). */
      scheduleMs: number;
      /** How long after the first due time the window's last schedule call returned (0: in time). */
      scheduledLateMs: number;
      rssBefore: number;
      rssEnd: number;
      /** Heap in use at the end, after a GC (RSS keeps pages a GC freed). */
      heapEnd: number;
      /** The machine's 1-minute load average at the end of the window (2 cores here). */
      load: number;
    }
  | { ok: false; unsupported: boolean; reason: string };

const PENDING = 100_000;
const RATE = 1_000;
const WINDOW_MS = Number(process.env['SCHEDULED_LATENESS_WINDOW_S'] ?? 10) * 1000;
const GRACE_MS = 5_000;

const names: Record<Subject, string> = {
  memory: 'herald memoryLog',
  sqlite: 'herald sqliteLog',
  postgres: 'herald postgresLog',
  redis: 'herald redisLog',
  nats: 'herald natsLog',
  bullmq: 'BullMQ delayed jobs (Worker, concurrency 50)',
};

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const ms = (n: number): string => `${n} ms`;

async function runSubject(subject: Subject): Promise<LatenessResult> {
  const job: LatenessJob = {
    subject,
    pending: PENDING,
    rate: RATE,
    windowMs: WINDOW_MS,
    graceMs: GRACE_MS,
    postgresUrl: process.env['HERALD_BENCH_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test',
    redisUrl: process.env['HERALD_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    natsServers: process.env['HERALD_BENCH_NATS_URL'] ?? '127.0.0.1:4222',
  };
  const child = startChild<LatenessResult>('scheduled-lateness-subject', job);
  try {
    return await child.next();
  } catch (error) {
    return { ok: false, unsupported: false, reason: (error as Error).message };
  } finally {
    await child.stop(30_000);
  }
}

/** Runs every subject in turn and prints one table, with each p99 against BullMQ's. */
export async function runScheduledLatenessBench(): Promise<void> {
  const only = process.env['SCHEDULED_LATENESS_ONLY']?.split(',');
  const results = new Map<Subject, LatenessResult>();
  for (const subject of SUBJECTS) {
    if (only !== undefined && !only.includes(subject)) continue;
    results.set(subject, await runSubject(subject));
  }
  const bull = results.get('bullmq');
  const bullP99 = bull?.ok === true ? bull.p99 : NaN;
  const expected = Math.round((RATE * WINDOW_MS) / 1000);
  console.log(
    `\n### Scheduled delivery: lateness with ${PENDING.toLocaleString('en')} pending, ` +
      `${RATE.toLocaleString('en')}/s coming due for ${WINDOW_MS / 1000} s\n`,
  );
  console.log(
    '| subject | p50 | p99 | max | early | received | RSS before | RSS end | heap end | BullMQ p99 / subject p99 | notes |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [subject, r] of results) {
    if (!r.ok) {
      const why = `${r.unsupported ? 'not available' : 'failed'}: ${r.reason.replaceAll('|', '/')}`;
      console.log(`| ${names[subject]} | | | | | | | | | | ${why} |`);
      continue;
    }
    const ratio = subject === 'bullmq' ? '1.00x' : `${(bullP99 / Math.max(r.p99, 1)).toFixed(2)}x`;
    const notes = [
      `${((PENDING - expected) / 1000).toFixed(0)}k later ones scheduled in ${(r.scheduleMs / 1000).toFixed(1)} s`,
      `load ${r.load.toFixed(1)}`,
      ...(r.scheduledLateMs > 0 ? [`window scheduled ${r.scheduledLateMs} ms late`] : []),
    ].join('; ');
    console.log(
      `| ${names[subject]} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.early} | ` +
        `${r.received.toLocaleString('en')} / ${expected.toLocaleString('en')} | ${mb(r.rssBefore)} | ` +
        `${mb(r.rssEnd)} | ${mb(r.heapEnd)} | ${Number.isNaN(bullP99) ? '' : ratio} | ${notes} |`,
    );
  }
}
