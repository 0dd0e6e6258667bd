import { runIngestBench } from './ingest.js';

await runIngestBench();
