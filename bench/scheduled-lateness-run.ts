/** Runs only the scheduled-delivery lateness benchmark: `npx tsx bench/scheduled-lateness-run.ts`. */
import { runScheduledLatenessBench } from './scheduled-lateness.js';

console.log(`# Herald scheduled-delivery lateness (node ${process.version}, ${new Date().toISOString()})`);
await runScheduledLatenessBench();
