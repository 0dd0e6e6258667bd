import { apiKeys } from './api-keys.js';
import { schedules } from './schedules.js';
import { BACKENDS, type BackendEntry } from '../../backends/registry.js';
import { logTarget } from './log-target.js';
import {
  boolean,
  integer,
  hostName,
  ipOrCidr,
  list,
  oneOf,
  origin,
  text,
  type ValueType,
} from './value-types.js';

/** One setting of `herald serve`: its dotted key, how it is checked, its default and its flag. */
export interface ConfigKey {
  /** The dotted path in the YAML file: `live.keepAliveMs`. */
  readonly key: string;
  readonly type: ValueType;
  /** Applied when no source sets the key; none means "off" or "not set". */
  readonly default?: unknown;
  /** The `herald serve` flag, in commander's syntax: `--port <port>`. */
  readonly flag?: string;
  /** A file path: relative to the config file's folder when set in the file. */
  readonly path?: boolean;
  readonly doc: string;
}

/** Pino's levels, as `logLevel` takes them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const positive = integer(1);

/**
 * A backend's settings as config keys: `schema` of the `postgres` entry is `postgres.schema`.
 *
 * @example
 * ```ts
 * backendKeys(BACKENDS.find((b) => b.name === 'redis')!).map((k) => k.key); // ['redis.prefix']
 * ```
 */
export function backendKeys(entry: BackendEntry): ConfigKey[] {
  return (entry.settings ?? []).map(({ key, ...setting }) => ({ key: `${entry.name}.${key}`, ...setting }));
}

/**
 * Every setting of `herald serve`, in the order `docs/configuration.md` lists them. `rateLimit` is
 * both a switch (`rateLimit: false`) and a section (`rateLimit: { max, timeWindowMs }`).
 *
 * @example
 * ```ts
 * CONFIG_KEYS.find((k) => k.key === 'port')?.default; // 4021
 * ```
 */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  { key: 'host', type: text, default: '127.0.0.1', flag: '--host <host>', doc: 'address to bind' },
  {
    key: 'port',
    type: integer(0, 65535),
    default: 4021,
    flag: '--port <port>',
    doc: 'port (0: any free one)',
  },
  {
    key: 'data',
    type: text,
    default: './herald-data',
    flag: '--data <dir>',
    path: true,
    doc: 'folder of the SQLite log',
  },
  { key: 'log', type: logTarget, default: 'sqlite', flag: '--log <log>', doc: 'sqlite, memory or a URL' },
  {
    key: 'insecure',
    type: boolean,
    default: false,
    flag: '--insecure',
    doc: 'allow binding beyond loopback without auth',
  },
  { key: 'bodyLimit', type: positive, default: 1_048_576, flag: '--body-limit <bytes>', doc: 'largest body' },
  { key: 'shutdownGraceMs', type: integer(0), default: 10_000, doc: 'how long a stop drains' },
  { key: 'headersTimeoutMs', type: positive, default: 60_000, doc: "time to send a request's headers" },
  { key: 'requestTimeoutMs', type: positive, default: 300_000, doc: 'time to send a whole request' },
  {
    key: 'logLevel',
    type: oneOf(LOG_LEVELS),
    default: 'info',
    flag: '--log-level <level>',
    doc: 'pino level of the request log',
  },
  {
    key: 'metricsPublic',
    type: boolean,
    default: false,
    flag: '--metrics-public',
    doc: 'GET /metrics without a token',
  },
  {
    key: 'dashboard',
    type: boolean,
    default: true,
    doc: 'serve the dashboard at / to browsers (false: a small HTML index page instead)',
  },
  { key: 'auth.keys', type: apiKeys, doc: 'API keys and their grants' },
  {
    key: 'schedules',
    type: schedules,
    doc: 'recurring events: a list of { name, cron or everyMs, timezone, type, data, subject, stream }',
  },
  { key: 'auth.jwt.secret', type: text, doc: 'HS256 shared secret' },
  { key: 'auth.jwt.jwksFile', type: text, path: true, doc: 'JWKS file (RS256, ES256)' },
  { key: 'auth.jwt.issuer', type: text, doc: 'required iss claim' },
  { key: 'auth.jwt.audience', type: text, doc: 'required aud claim' },
  {
    key: 'auth.failureLimit.max',
    type: positive,
    default: 20,
    doc: 'failed authentications per address per window',
  },
  { key: 'auth.failureLimit.windowMs', type: positive, default: 60_000, doc: 'the window' },
  {
    key: 'cors.origins',
    // `[]` is meaningful: no origin, not even the loopback ones a hub without auth allows by default.
    type: list(origin, { allowEmpty: true }),
    flag: '--cors-origins <list>',
    doc: 'origins allowed by CORS ([] for none)',
  },
  {
    key: 'rateLimit',
    type: boolean,
    default: false,
    doc: 'true (or setting max/timeWindowMs) turns rate limiting on',
  },
  { key: 'rateLimit.max', type: positive, default: 6_000, doc: 'requests per window per caller' },
  { key: 'rateLimit.timeWindowMs', type: positive, default: 60_000, doc: 'the window' },
  { key: 'allowIps', type: list(ipOrCidr), flag: '--allow-ips <list>', doc: 'addresses that may connect' },
  {
    key: 'hosts',
    type: list(hostName),
    flag: '--hosts <list>',
    doc: 'Host names answered besides IPs and localhost',
  },
  // Each backend's own settings (`sqlite.durability`, `postgres.schema`...), from its registry entry.
  ...BACKENDS.flatMap(backendKeys),
  { key: 'live.keepAliveMs', type: positive, default: 15_000, doc: 'SSE comment / WS ping interval' },
  { key: 'live.retryMs', type: integer(0), default: 2_000, doc: 'SSE retry: hint' },
  { key: 'live.maxBacklog', type: positive, default: 10_000, doc: 'events a client may fall behind' },
  { key: 'live.ringSize', type: positive, default: 10_000, doc: 'recent events kept in memory' },
  { key: 'live.maxSubscriptions', type: positive, default: 100, doc: 'subscriptions per WebSocket' },
  { key: 'live.maxMessageBytes', type: integer(1_024), default: 1_048_576, doc: 'largest WebSocket message' },
  { key: 'live.maxInFlight', type: positive, default: 256, doc: 'publishes in flight per WebSocket' },
  { key: 'live.closeGraceMs', type: integer(0), default: 5_000, doc: 'flush time of a closing stream' },
  { key: 'live.maxMessagesPerSecond', type: positive, default: 1_000, doc: 'messages/s per WebSocket' },
  {
    key: 'groups.maxReceipts',
    type: positive,
    default: 100_000,
    doc: 'unsettled group deliveries a hub holds receipts for',
  },
];

/** The keys by name. */
export const KEYS_BY_NAME: ReadonlyMap<string, ConfigKey> = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

/** Every key that has children (`auth`, `auth.jwt`, `live`, ...). */
export const SECTIONS: ReadonlySet<string> = new Set(
  CONFIG_KEYS.flatMap((k) => {
    const parts = k.key.split('.');
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);

/**
 * The environment variable of a key: `HERALD_` and the key in UPPER_SNAKE_CASE, `__` between levels.
 *
 * @example
 * ```ts
 * envName('live.keepAliveMs'); // 'HERALD_LIVE__KEEP_ALIVE_MS'
 * ```
 */
export function envName(key: string): string {
  return `HERALD_${key
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('__')}`;
}

/**
 * The property commander sets for a flag: `--log-level <level>` gives `logLevel`.
 *
 * @example
 * ```ts
 * flagProperty('--body-limit <bytes>'); // 'bodyLimit'
 * ```
 */
export function flagProperty(flag: string): string {
  const long = flag.split(' ')[0]!.replace(/^--/, '');
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
