import type { EventLog, GroupOptions } from '../src/log/types.js';

/** Shared helpers for `npm run bench`: timing and the ratio tables printed in issue notes. */

export interface BenchRow {
  /** What was measured, e.g. "herald (async publish)". */
  name: string;
  /** Throughput in operations (events, matches, ...) per second. */
  perSecond: number;
  /** Extra columns such as latency percentiles. */
  extra?: Record<string, string>;
}

/** Runs `fn` (which performs `ops` operations) `rounds` times after a warm-up; returns the best ops/s. */
export async function measure(ops: number, fn: () => unknown, rounds = 5): Promise<number> {
  await fn();
  let best = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.max(best, (ops * 1e9) / ns);
  }
  return best;
}

const fmt = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k/s` : `${n.toFixed(0)} /s`;

/**
 * Prints a Markdown table; the ratio column is each row's throughput relative to the row named
 * `baseline` (Herald's), so "0.50x" means the other library did half of Herald's rate.
 */
export function printTable(title: string, rows: BenchRow[], baseline: string): void {
  const base = rows.find((r) => r.name === baseline)?.perSecond ?? NaN;
  const extraKeys = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  console.log(`\n### ${title}\n`);
  console.log(`| subject | throughput | herald / subject |${extraKeys.map((k) => ` ${k} |`).join('')}`);
  console.log(`| --- | ---: | ---: |${extraKeys.map(() => ' ---: |').join('')}`);
  for (const r of rows) {
    const ratio = r.name === baseline ? '1.00x' : `${(base / r.perSecond).toFixed(2)}x`;
    console.log(
      `| ${r.name} | ${fmt(r.perSecond)} | ${ratio} |${extraKeys.map((k) => ` ${r.extra?.[k] ?? ''} |`).join('')}`,
    );
  }
}

/** Best ops/s of each `fns[i]` over `rounds` rounds after a warm-up, the subjects taking turns in each. */
export async function measureTurns(
  ops: number,
  fns: readonly (() => Promise<void>)[],
  rounds: number,
): Promise<number[]> {
  for (const fn of fns) await fn();
  const best = fns.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = process.hrtime.bigint();
      await fn();
      const ns = Number(process.hrtime.bigint() - t0);
      best[i] = Math.max(best[i]!, (ops * 1e9) / ns);
    }
  }
  return best;
}

/**
 * The median ops/s of each `fns[i]` over `rounds` rounds after a warm-up, the subjects taking turns
 * in each round (so a slow spell of the machine lands on every subject alike). The median, not the
 * best, is what the issue goals compare.
 *
 * @example
 * ```ts
 * const [herald, ee2] = await medianTurns(1_000_000, [runHerald, runEe2], 5);
 * ```
 */
export async function medianTurns(
  ops: number,
  fns: readonly (() => unknown)[],
  rounds: number,
): Promise<number[]> {
  for (const fn of fns) await fn();
  const rates: number[][] = fns.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = process.hrtime.bigint();
      await fn();
      rates[i]!.push((ops * 1e9) / Number(process.hrtime.bigint() - t0));
    }
  }
  return rates.map((r) => r.sort((x, y) => x - y)[Math.floor(r.length / 2)]!);
}

/**
 * What every consumer in the benchmarks does with an event: reads its data. Herald hands
 * deliveries over decoded; a raw client's consumer has to JSON.parse its payload to get this far.
 * The sum keeps the reads from being optimized away.
 */
export const handled = { count: 0 };
export function handle(data: unknown): void {
  if (data !== undefined) handled.count++;
}

/**
 * Pulls `count` events through a new consumer group `name` (batches of `pull`, every delivery
 * handled and acked, acks of a batch at once): how the log benchmarks consume.
 */
export async function drainGroup(
  log: EventLog,
  name: string,
  options: GroupOptions,
  count: number,
  pull: number,
): Promise<void> {
  const group = await log.group(name, options);
  for (let done = 0; done < count;) {
    const deliveries = await group.pull({ max: pull });
    for (const d of deliveries) handle(d.event.data);
    await Promise.all(deliveries.map((d) => d.ack()));
    done += deliveries.length;
  }
}
