/** Runs only the NATS JetStream log benchmark: `npx tsx bench/nats-run.ts`. */
import { runNatsBench } from './nats.js';

console.log(`# Herald NATS benchmark (node ${process.version}, ${new Date().toISOString()})`);
await runNatsBench();
