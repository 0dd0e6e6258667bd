/**
 * `npm run bench`: every benchmark in one run, each printing a Markdown table with ratios to
 * Herald. Run on an otherwise idle machine; numbers from a loaded machine are not comparable.
 */
import { runBrokerBench } from './broker.js';
import { runIngestBench } from './ingest.js';
import { runMatchBench } from './match.js';
import { runNatsBench } from './nats.js';
import { runPostgresBench } from './postgres.js';
import { runRedisBench } from './redis.js';
import { runScheduledLatenessBench } from './scheduled-lateness.js';
import { runSqliteBench } from './sqlite.js';
import { runSseFanoutBench } from './sse-fanout.js';

console.log(`# Herald benchmarks (node ${process.version}, ${new Date().toISOString()})`);
await runBrokerBench();
await runMatchBench();
await runSqliteBench();
await runPostgresBench();
await runRedisBench();
await runNatsBench();
await runScheduledLatenessBench();
await runIngestBench();
await runSseFanoutBench();
await (await import('./scale-out.js')).runScaleOutBench();
