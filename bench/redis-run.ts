/** Runs only the Redis log benchmark: `npx tsx bench/redis-run.ts`. */
import { runRedisBench } from './redis.js';

console.log(`# Herald Redis benchmark (node ${process.version}, ${new Date().toISOString()})`);
await runRedisBench();
