/**
 * Moved: the memory backend lives in `src/backends/memory/` and `startIndex` in `event-list.ts`.
 * These re-exports keep two importers working until they change their import: the NATS index
 * (`src/backends/nats/event-index.ts`, `startIndex`) and the benchmarks in `bench/` (`memoryLog`).
 * New code imports from the new places; delete this file once nothing imports it.
 *
 * @deprecated Import `memoryLog` from `src/backends/memory/index.js` and `startIndex` from
 *   `src/log/event-list.js`.
 */
export { memoryLog, type MemoryLogOptions } from '../backends/memory/index.js';
export { startIndex } from './event-list.js';
