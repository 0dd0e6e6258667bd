/**
 * Runs only the hub ingest benchmark: `npx tsx bench/ingest-run.ts`. `HERALD_BENCH_LOAD=wrk` uses
 * wrk instead of autocannon; `HERALD_BENCH_ONLY=herald` runs only the rows whose key starts so
 * (herald, memory, raw, ceiling); `HERALD_BENCH_SECONDS` sets each run's length (default 6).
 */
import { runIngestBench } from './ingest.js';

console.log(`# Herald hub ingest benchmark (node ${process.version}, ${new Date().toISOString()})`);
await runIngestBench();
