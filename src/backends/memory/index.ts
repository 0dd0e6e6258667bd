/**
 * The memory backend: the reference `EventLog`, the whole contract in one process and nothing
 * durable. It needs no package, so `herald` itself exports `memoryLog` (there is no
 * `herald/memory` subpath; the other backends have one to keep their optional peer dependency out
 * of the core).
 */
export { memoryLog, type MemoryLogOptions } from './memory-log.js';
