import type { EventLog } from '../../log/types.js';
import type { ServerOptions } from '../create-server.js';
import { HeraldError } from '../../errors/herald-error.js';
import type { HubConfig, LoadedConfig } from './hub-config.js';

/**
 * `createServer`'s options from a loaded config: Fastify's pino logger at `logLevel`, and every
 * hub feature the config turns on.
 *
 * @example
 * ```ts
 * const { config } = loadConfig();
 * const app = createServer(toServerOptions(config, memoryLog()));
 * ```
 */
export function toServerOptions(config: HubConfig, log: EventLog): ServerOptions {
  return {
    log,
    bodyLimit: config.bodyLimit,
    shutdownGraceMs: config.shutdownGraceMs,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    logger: { level: config.logLevel },
    metricsPublic: config.metricsPublic,
    ...(config.dashboard ? {} : { dashboard: false as const }),
    rateLimit: config.rateLimit,
    live: config.live,
    groups: config.groups,
    ...(config.auth && { auth: config.auth }),
    ...(config.cors && { cors: config.cors }),
    ...(config.allowIps && { allowIps: config.allowIps }),
    ...(config.hosts && { hosts: config.hosts }),
    ...(config.schedules && config.schedules.length > 0 && { schedules: config.schedules }),
  };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/**
 * The bind rule: a hub without auth listens only on loopback, unless `insecure` says otherwise,
 * because anyone who can reach it could read and publish everything. Throws `INVALID_CONFIG`
 * naming `host` and its source.
 *
 * @example
 * ```ts
 * assertSafeBind(loadConfig({ flags: { host: '0.0.0.0' } })); // throws: refusing to listen on 0.0.0.0 ...
 * ```
 */
export function assertSafeBind({ config, sources }: LoadedConfig): void {
  if (LOOPBACK.test(config.host) || config.insecure || config.auth !== undefined) return;
  const source = sources.get('host') ?? 'default';
  throw new HeraldError(
    'INVALID_CONFIG',
    `refusing to listen on ${config.host}: no authentication is configured (host from ${source}), ` +
      'so anyone who can reach it could read and publish. Configure auth.keys or auth.jwt, bind to ' +
      '127.0.0.1, or set insecure (--insecure, HERALD_INSECURE=true) if you mean it.',
    { details: { key: 'host', source } },
  );
}
