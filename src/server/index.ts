export { createServer, type ServerOptions } from './create-server.js';
export { parseIngest, type IngestMode } from './parse-ingest.js';
export type { ErrorBody } from './http-errors.js';
export { createHubMetrics, type HubMetrics, type Transport, type GroupSettleStatus } from './metrics.js';
export { openApiDocument, type OpenApiDocument } from './openapi.js';
export { principal, patternCovers, anonymous, type Principal, type Grants } from './auth/principal.js';
export type { AuthOptions, ApiKeyOptions, JwtOptions } from './auth/auth-options.js';
export type { LiveOptions } from './live/live-options.js';
export type { GroupConsumeOptions } from './groups/consume-options.js';
