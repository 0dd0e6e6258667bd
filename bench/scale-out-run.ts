/**
 * Runs only the scale-out benchmark: `npx tsx bench/scale-out-run.ts` (about a minute per shared
 * log). `SCALE_OUT_ONLY=postgres|redis|nats` runs one; `SCALE_OUT_CLIENTS` and `SCALE_OUT_EVENTS`
 * change the sizes (default 300 and 10,000). Needs `npm run build` first: the hubs are
 * `dist/cli/main.js serve`.
 */
import { runScaleOutBench } from './scale-out.js';

console.log(`# Herald scale-out benchmark (node ${process.version}, ${new Date().toISOString()})`);
await runScaleOutBench();
