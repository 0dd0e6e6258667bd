import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BACKENDS } from '../../backends/registry.js';
import type { ApiKeyOptions, AuthOptions, JwtOptions } from '../auth/auth-options.js';
import { configError } from './config-error.js';
import { CONFIG_KEYS } from './config-keys.js';
import type { ConfigEntry } from './entry.js';
import { envEntries } from './env-layer.js';
import { fileEntries } from './file-layer.js';
import { flagEntries } from './flag-layer.js';
import type { HubConfig, LoadedConfig } from './hub-config.js';

/** Where `loadConfig` reads from; each defaults to the running process's. */
export interface LoadConfigOptions {
  /** `herald serve`'s parsed flags (commander's option values; absent ones `undefined`). */
  flags?: Readonly<Record<string, unknown>>;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

/** The file used when neither `--config` nor `HERALD_CONFIG` names one, if it exists. */
export const DEFAULT_CONFIG_FILE = 'herald.yaml';

/**
 * Loads the settings of `herald serve`: defaults, then the YAML file (`--config`, else
 * `HERALD_CONFIG`, else `./herald.yaml` when it exists), then `HERALD_*` variables, then flags;
 * a later source wins key by key. Every value is checked, whichever source wins; the first
 * problem throws `INVALID_CONFIG` naming the key and its source.
 *
 * @example
 * ```ts
 * const { config, sources } = loadConfig({ flags: { port: '4100' }, env: { HERALD_LOG: 'memory' } });
 * config.port; // 4100
 * sources.get('log'); // 'HERALD_LOG'
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const file = configFile(flags, env, cwd);
  const layers: ConfigEntry[][] = [
    CONFIG_KEYS.filter((k) => k.default !== undefined).map((k) => ({
      key: k.key,
      value: k.default,
      source: 'default',
    })),
    file ? fileEntries(readConfigFile(file, cwd), file.name, dirname(resolve(cwd, file.name))) : [],
    envEntries(env),
    flagEntries(flags),
  ];
  const merged = new Map<string, ConfigEntry>();
  for (const layer of layers) for (const entry of layer) merged.set(entry.key, entry);
  const config = build(merged, cwd);
  return {
    config,
    sources: new Map([...merged].map(([key, entry]) => [key, entry.source])),
    file: file?.name,
  };
}

function configFile(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): { name: string; source: string } | undefined {
  if (typeof flags.config === 'string') return { name: flags.config, source: '--config' };
  if (env.HERALD_CONFIG) return { name: env.HERALD_CONFIG, source: 'HERALD_CONFIG' };
  if (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE))) return { name: DEFAULT_CONFIG_FILE, source: 'default' };
  return undefined;
}

function readConfigFile(file: { name: string; source: string }, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, file.name), 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw configError(
      'config',
      file.source,
      missing
        ? `names ${file.name}, which does not exist`
        : `names ${file.name}, which cannot be read: ${(error as Error).message}`,
    );
  }
}

function build(merged: ReadonlyMap<string, ConfigEntry>, cwd: string): HubConfig {
  // Every value was checked by its key's type, so the shape below holds.
  const value = (key: string): unknown => merged.get(key)?.value;
  const section = (prefix: string): Record<string, unknown> =>
    Object.fromEntries(
      [...merged.values()]
        .filter((e) => e.key.startsWith(prefix))
        .map((e) => [e.key.slice(prefix.length), e.value]),
    );
  const origins = value('cors.origins');
  return {
    host: value('host'),
    port: value('port'),
    data: value('data'),
    log: value('log'),
    insecure: value('insecure'),
    bodyLimit: value('bodyLimit'),
    shutdownGraceMs: value('shutdownGraceMs'),
    headersTimeoutMs: value('headersTimeoutMs'),
    requestTimeoutMs: value('requestTimeoutMs'),
    logLevel: value('logLevel'),
    metricsPublic: value('metricsPublic'),
    dashboard: value('dashboard'),
    auth: auth(merged, section('auth.jwt.'), cwd),
    cors: origins === undefined ? undefined : { origins },
    rateLimit: rateLimitOn(merged) && {
      max: value('rateLimit.max'),
      timeWindowMs: value('rateLimit.timeWindowMs'),
    },
    allowIps: value('allowIps'),
    hosts: value('hosts'),
    backends: Object.fromEntries(BACKENDS.map((b) => [b.name, section(`${b.name}.`)])),
    live: section('live.'),
    groups: section('groups.'),
    schedules: value('schedules'),
  } as HubConfig;
}

/**
 * Rate limiting is off by default. An explicit `rateLimit` switch decides; without one, setting
 * `rateLimit.max` or `rateLimit.timeWindowMs` anywhere turns it on.
 */
function rateLimitOn(merged: ReadonlyMap<string, ConfigEntry>): boolean {
  const toggle = merged.get('rateLimit');
  if (toggle !== undefined && toggle.source !== 'default') return toggle.value === true;
  return ['rateLimit.max', 'rateLimit.timeWindowMs'].some((k) => {
    const entry = merged.get(k);
    return entry !== undefined && entry.source !== 'default';
  });
}

function auth(
  merged: ReadonlyMap<string, ConfigEntry>,
  jwtFields: Record<string, unknown>,
  cwd: string,
): AuthOptions | undefined {
  const keys = merged.get('auth.keys')?.value as ApiKeyOptions[] | undefined;
  const jwtEntries = [...merged.values()].filter((e) => e.key.startsWith('auth.jwt.'));
  let jwt: JwtOptions | undefined;
  if (jwtEntries.length > 0) {
    jwt = jwtFields;
    if (jwt.secret === undefined && jwt.jwksFile === undefined) {
      throw configError('auth.jwt', jwtEntries[0]!.source, 'needs secret (HS256) or jwksFile (RS256, ES256)');
    }
    const jwks = merged.get('auth.jwt.jwksFile');
    if (jwt.jwksFile !== undefined && jwks && !existsSync(resolve(cwd, jwt.jwksFile))) {
      throw configError('auth.jwt.jwksFile', jwks.source, `names ${jwt.jwksFile}, which does not exist`);
    }
  }
  if (!keys && !jwt) return undefined;
  const failureLimit = {
    max: merged.get('auth.failureLimit.max')!.value as number,
    windowMs: merged.get('auth.failureLimit.windowMs')!.value as number,
  };
  return { ...(keys && { keys }), ...(jwt && { jwt }), failureLimit };
}
