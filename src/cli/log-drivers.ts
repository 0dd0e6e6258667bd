import {
  BACKENDS,
  backendFor,
  loadBackend,
  urlOf,
  type LoadOverrides,
  type LogTarget,
} from '../backends/registry.js';
import type { EventLog } from '../log/types.js';
import type { HubConfig } from '../server/config/hub-config.js';
import { logTarget, redact } from '../server/config/log-target.js';

/**
 * Opens the log `config.log` names, through the backend registry (`src/backends/registry.ts`):
 * only the chosen backend's module is imported, so the CLI never loads a driver it does not use,
 * and a missing driver fails with what to `npm install`. `overrides` replace the import and the
 * package lookup (for tests).
 *
 * @example
 * ```ts
 * const log = await openLog(loadConfig({ flags: { log: 'memory' } }).config);
 * ```
 */
export async function openLog(config: HubConfig, overrides: LoadOverrides = {}): Promise<EventLog> {
  const entry = chosen(config);
  const module = await loadBackend(entry, overrides);
  return entry.open(module, target(config, entry.name));
}

/**
 * The log as the listening line names it: the URL with its password as `***`, or the bare name
 * and where the backend keeps it (`sqlite in ./herald-data`).
 *
 * @example
 * ```ts
 * logName(config); // 'postgres://app:***@db/shop'
 * ```
 */
export function logName(config: HubConfig): string {
  const entry = chosen(config);
  const url = config.log.includes('://') ? urlOf(config.log) : undefined;
  const name = url === undefined ? config.log : redact(url);
  return `${name}${entry.where?.(target(config, entry.name)) ?? ''}`;
}

/**
 * Imports the module of the backend named `name` (`herald/postgres` and so on). When its driver is
 * not installed, throws `the postgres log needs pg, which is not installed: run \`npm install pg\``.
 *
 * @example
 * ```ts
 * const { redisLog } = (await openDriverLog('redis')) as typeof import('../backends/redis/index.js');
 * ```
 */
export async function openDriverLog(name: string, overrides: LoadOverrides = {}): Promise<unknown> {
  const entry = BACKENDS.find((b) => b.name === name);
  if (entry === undefined) throw new Error(`no backend is named ${name}`);
  return await loadBackend(entry, overrides);
}

function chosen(config: HubConfig): (typeof BACKENDS)[number] {
  // loadConfig checked `log` against the same registry, so this finds it; if not, the same error.
  return backendFor(config.log) ?? (logTarget.check(config.log, 'log', 'the config') as never);
}

function target(config: HubConfig, name: string): LogTarget {
  return {
    value: config.log,
    url: config.log.includes('://') ? urlOf(config.log) : undefined,
    settings: config.backends[name] ?? {},
    data: config.data,
  };
}
