/** Runs only the PostgreSQL log benchmark: `npx tsx bench/postgres-run.ts`. */
import { runPostgresBench } from './postgres.js';

console.log(`# Herald PostgreSQL benchmark (node ${process.version}, ${new Date().toISOString()})`);
await runPostgresBench();
