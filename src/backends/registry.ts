import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { importNeeding, type PackageResolves } from '../log/optional-package.js';
import type { EventLog } from '../log/types.js';
import type { SqliteDurability } from './sqlite/options.js';
import { configError, shown } from '../server/config/config-error.js';
import { identifier, oneOf, type ValueType } from '../server/config/value-types.js';

/**
 * The backends `herald serve` can open, one entry each: which `log` values select it (a bare name
 * such as `sqlite`, or URL schemes such as `postgres://`), the npm packages its driver is made of,
 * its module (imported only when its log is chosen), how it opens a log from the config, and its
 * own settings (the `<name>.*` keys of the config). The config's `log` check, its keys, the
 * `herald serve` flags and the CLI's `openLog` are all derived from this list, so a new backend is
 * its folder plus one entry here (see `docs/backend-authoring.md`).
 */

/** What an entry's `open` gets: the `log` value that chose it, and its settings. */
export interface LogTarget {
  /** The `log` setting as given: `sqlite`, `memory`, or the URL (with its password). */
  readonly value: string;
  /** `value` parsed, when it is a URL. */
  readonly url: URL | undefined;
  /** The backend's own settings, by their key in its section: `{ schema: 'herald' }` for `postgres.schema`. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The `data` folder (`--data`): where an embedded backend keeps its files. */
  readonly data: string;
}

/** One setting of a backend: the config key `<backend name>.<key>`, its variable and flag follow. */
export interface BackendSetting {
  /** The key inside the backend's section: `schema` is `postgres.schema`, `HERALD_POSTGRES__SCHEMA`. */
  readonly key: string;
  /** How it is read from text and checked (`src/server/config/value-types.ts`). */
  readonly type: ValueType;
  /** Applied when no source sets it. */
  readonly default?: unknown;
  /** A `herald serve` flag, in commander's syntax (`--durability <mode>`); most settings have none. */
  readonly flag?: string;
  /** A file path: relative to the config file's folder when set in the file. */
  readonly path?: boolean;
  /** One line for `herald serve --help` and `docs/configuration.md`. */
  readonly doc: string;
}

/**
 * A backend as `herald serve` knows it. `M` is the type of its module (`typeof import('./x/index.js')`);
 * `load` must be a dynamic `import()`, so a hub that uses another backend never loads this one's
 * driver.
 */
export interface BackendEntry<M = unknown> {
  /** Names the backend in messages (`the postgres log needs pg`) and is its config section. */
  readonly name: string;
  /** Bare `log` values that select it, without a URL: `sqlite`. */
  readonly names?: readonly string[];
  /** URL schemes that select it, without `:` or `//`: `postgres`, `postgresql`. */
  readonly schemes?: readonly string[];
  /** The npm packages its driver is made of: what a failed import tells to `npm install`. */
  readonly packages: readonly string[];
  /** Imports the backend's module: `() => import('./postgres/index.js')`. */
  load(): Promise<M>;
  /** Opens the log the config asks for, with the module `load` gave. */
  open(module: M, target: LogTarget): EventLog | Promise<EventLog>;
  /** The backend's settings: the config keys `<name>.<key>`. */
  readonly settings?: readonly BackendSetting[];
  /** Where the log lives, for the listening line (` in ./herald-data`); nothing by default. */
  where?(target: LogTarget): string;
}

/** A string matching `regex`, described as `expected` in errors. */
function pattern(regex: RegExp, expected: string): ValueType {
  return {
    expected,
    fromText: (t) => t,
    check(value, key, source) {
      if (typeof value === 'string' && regex.test(value)) return value;
      throw configError(key, source, `must be ${expected}, got ${shown(value)}`);
    },
  };
}

/** Types one entry by its module while the list holds them all. */
function backend<M>(entry: BackendEntry<M>): BackendEntry {
  return entry;
}

/** Every backend `herald serve` can open, in the order their settings are listed. */
export const BACKENDS: readonly BackendEntry[] = [
  backend<typeof import('./sqlite/index.js')>({
    name: 'sqlite',
    names: ['sqlite'],
    // better-sqlite3 is one of Herald's dependencies, but it is native: imported only when used,
    // so `--log memory` runs even where its binary could not be installed.
    packages: ['better-sqlite3'],
    load: () => import('./sqlite/index.js'),
    open: ({ sqliteLog }, { data, settings }) => {
      mkdirSync(data, { recursive: true });
      return sqliteLog({
        path: join(data, 'events.db'),
        durability: settings.durability as SqliteDurability,
      });
    },
    settings: [
      {
        key: 'durability',
        type: oneOf(['fsync', 'os']),
        default: 'fsync',
        flag: '--durability <mode>',
        doc: 'when an append resolves',
      },
    ],
    where: ({ data }) => ` in ${data}`,
  }),
  backend<typeof import('./memory/index.js')>({
    name: 'memory',
    names: ['memory'],
    packages: [],
    load: () => import('./memory/index.js'),
    open: ({ memoryLog }) => memoryLog(),
  }),
  backend<typeof import('./postgres/index.js')>({
    name: 'postgres',
    schemes: ['postgres', 'postgresql'],
    packages: ['pg'],
    load: () => import('./postgres/index.js'),
    open: ({ postgresLog }, { value, settings }) =>
      postgresLog({ connectionString: value, schema: settings.schema as string }),
    settings: [
      { key: 'schema', type: identifier, default: 'herald', doc: 'the schema of the PostgreSQL log' },
    ],
  }),
  backend<typeof import('./redis/index.js')>({
    name: 'redis',
    schemes: ['redis', 'rediss'],
    packages: ['ioredis'],
    load: () => import('./redis/index.js'),
    open: ({ redisLog }, { value, settings }) => redisLog({ url: value, prefix: settings.prefix as string }),
    settings: [
      {
        key: 'prefix',
        // It starts every key, so no `:` and no spaces.
        type: pattern(/^[\w.-]{1,100}$/, 'letters, digits, "_", "-" or "." (1 to 100)'),
        default: 'herald',
        doc: 'the key prefix of the Redis log',
      },
    ],
  }),
  backend<typeof import('./nats/index.js')>({
    name: 'nats',
    schemes: ['nats', 'tls'],
    packages: ['@nats-io/transport-node', '@nats-io/jetstream'],
    load: () => import('./nats/index.js'),
    open: ({ natsLog }, { value, settings }) =>
      natsLog({
        servers: value,
        stream: settings.stream as string,
        subjectPrefix: settings.subjectPrefix as string,
      }),
    settings: [
      {
        key: 'stream',
        type: pattern(/^[A-Za-z0-9_-]{1,200}$/, 'a JetStream stream name (letters, digits, "_" and "-")'),
        default: 'HERALD',
        doc: 'the JetStream stream of the NATS log',
      },
      {
        key: 'subjectPrefix',
        type: pattern(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'literal subject tokens, e.g. "herald"'),
        default: 'herald',
        doc: 'event type t is published on <subjectPrefix>.t',
      },
    ],
  }),
];

/**
 * The backend a `log` value selects: by bare name (`sqlite`), or by the scheme of a URL
 * (`postgres://...`); `undefined` when none does.
 *
 * @example
 * ```ts
 * backendFor('rediss://db:6380')?.name; // 'redis'
 * backendFor('mysql://db')?.name; // undefined
 * ```
 */
export function backendFor(
  value: string,
  backends: readonly BackendEntry[] = BACKENDS,
): BackendEntry | undefined {
  const byName = backends.find((b) => b.names?.includes(value));
  if (byName !== undefined || !value.includes('://')) return byName;
  const scheme = urlOf(value)?.protocol.slice(0, -1);
  return scheme === undefined ? undefined : backends.find((b) => b.schemes?.includes(scheme));
}

/**
 * What `log` may be, for messages: the bare names, then each scheme as `scheme://`.
 *
 * @example
 * ```ts
 * knownTargets(); // { names: ['memory', 'sqlite'], schemes: ['postgres://', 'postgresql://', ...] }
 * ```
 */
export function knownTargets(backends: readonly BackendEntry[] = BACKENDS): {
  names: string[];
  schemes: string[];
} {
  return {
    names: backends.flatMap((b) => b.names ?? []),
    schemes: backends.flatMap((b) => (b.schemes ?? []).map((s) => `${s}://`)),
  };
}

/** `value` as a URL, or `undefined` when it does not parse. */
export function urlOf(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Replaces an entry's import and the package lookup (for tests). */
export interface LoadOverrides {
  load?: () => Promise<unknown>;
  resolves?: PackageResolves;
}

/**
 * Imports a backend's module. When its driver is not installed, throws `the postgres log needs
 * pg, which is not installed: run \`npm install pg\``; any other failure is rethrown as it is.
 *
 * @example
 * ```ts
 * const { redisLog } = (await loadBackend(backendFor('redis://db')!)) as typeof import('./redis/index.js');
 * ```
 */
export function loadBackend(entry: BackendEntry, overrides: LoadOverrides = {}): Promise<unknown> {
  return importNeeding(`the ${entry.name} log`, entry.packages, overrides.load ?? (() => entry.load()), {
    resolves: overrides.resolves,
  });
}
