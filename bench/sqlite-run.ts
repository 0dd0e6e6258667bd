/** Runs only the SQLite log benchmark: `npx tsx bench/sqlite-run.ts`. */
import { runSqliteBench } from './sqlite.js';

console.log(`# Herald SQLite benchmark (node ${process.version}, ${new Date().toISOString()})`);
await runSqliteBench();
