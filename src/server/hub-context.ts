import type { EventLog } from '../log/types.js';
import type { Principal } from './auth/principal.js';
import type { HubMetrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: set by the auth hook before any route runs. */
    principal: Principal;
  }
}

/** What every route module of the hub receives: the log, the metrics, the resolved options. */
export interface HubContext {
  readonly log: EventLog;
  readonly metrics: HubMetrics;
  /** `source` of plain-JSON events that set none. */
  readonly defaultSource: string;
}
