import type { RecurringSchedule } from '../../scheduling/recurring.js';
import type { AuthOptions } from '../auth/auth-options.js';
import type { GroupConsumeOptions } from '../groups/consume-options.js';
import type { LiveOptions } from '../live/live-options.js';
import type { LOG_LEVELS } from './config-keys.js';

/** A pino level, as `logLevel` takes it. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The settings of `herald serve`, checked and with every default applied (see
 * `docs/configuration.md`). Optional features are `undefined` when off.
 *
 * @example
 * ```ts
 * const { config } = loadConfig({ flags: { port: '4100' } });
 * config.port; // 4100
 * ```
 */
export interface HubConfig {
  readonly host: string;
  readonly port: number;
  readonly data: string;
  /** A backend's bare name (`sqlite`, `memory`) or a URL of its scheme (`postgres://...`): see `src/backends/registry.ts`. */
  readonly log: string;
  readonly insecure: boolean;
  readonly bodyLimit: number;
  readonly shutdownGraceMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly metricsPublic: boolean;
  /** Serve the dashboard at `/` to browsers (default true). */
  readonly dashboard: boolean;
  readonly auth: AuthOptions | undefined;
  readonly cors: { readonly origins: readonly string[] } | undefined;
  readonly rateLimit: { readonly max: number; readonly timeWindowMs: number } | false;
  readonly allowIps: readonly string[] | undefined;
  /** Host names answered besides IP literals and `localhost`. */
  readonly hosts: readonly string[] | undefined;
  /**
   * Each backend's own settings by its name, by their key in its section (every one has its
   * default): `backends.postgres.schema`, `backends.sqlite.durability`.
   */
  readonly backends: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Every `live.*` key (all have defaults); the live delivery checks them again. */
  readonly live: LiveOptions;
  /** Every `groups.*` key: consumer groups over HTTP. */
  readonly groups: GroupConsumeOptions;
  /** Recurring events the hub produces (`schedules`), checked. */
  readonly schedules: readonly RecurringSchedule[] | undefined;
}

/** A loaded config with where each setting came from. */
export interface LoadedConfig {
  readonly config: HubConfig;
  /** The source of every key that has a value: `herald.yaml:7`, `HERALD_PORT`, `--port`, `default`. */
  readonly sources: ReadonlyMap<string, string>;
  /** The config file read, if any (as named: by `--config`, `HERALD_CONFIG`, or `herald.yaml`). */
  readonly file: string | undefined;
}
