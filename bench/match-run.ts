/** Runs only the match benchmark: `npx tsx bench/match-run.ts`. */
import { runMatchBench } from './match.js';

await runMatchBench();
