import type { EventLog } from '../log/types.js';
import type { Principal } from './auth/principal.js';
import type { HubMetrics } from './metrics.js';
import type { HubStats } from './stats/hub-stats.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: set by the auth hook before any route runs. */
    principal: Principal;
  }
}

/** What every route module of the hub receives: the log, the metrics and stats, the resolved options. */
export interface HubContext {
  readonly log: EventLog;
  /** The hub's metrics; publishes, deliveries and live clients counted here also reach `stats`. */
  readonly metrics: HubMetrics;
  /** This hub's per-second rates and live clients (`GET /v1/stats`). */
  readonly stats: HubStats;
  /** `source` of plain-JSON events that set none. */
  readonly defaultSource: string;
}
