export { createServer, type ServerOptions } from './create-server.js';
export { parseIngest, type IngestMode } from './parse-ingest.js';
export type { ErrorBody } from './http-errors.js';
