/**
 * Runs only the live fan-out benchmark: `npx tsx bench/sse-fanout-run.ts`. `HERALD_BENCH_ONLY`
 * keeps the rows whose name starts so (e.g. `bare`); `HERALD_BENCH_CLIENTS` changes the number of
 * clients (default 1,000); `HERALD_BENCH_BURST` (with `HERALD_BENCH_EVENTS`, default 2,000) runs
 * one pattern instead of the two default ones (bursts of 20, then one event per POST).
 */
import { runSseFanoutBench } from './sse-fanout.js';

console.log(`# Herald live fan-out benchmark (node ${process.version}, ${new Date().toISOString()})`);
await runSseFanoutBench();
