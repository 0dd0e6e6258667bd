import { importNeeding, type PackageResolves } from '../log/optional-package.js';

/**
 * The backends `herald serve` opens, each imported only when its log is chosen: the CLI never
 * loads a driver it does not use, and a missing driver fails with what to `npm install`.
 */
const backends = {
  sqlite: {
    packages: ['better-sqlite3'],
    load: () => import('../backends/sqlite/index.js'),
  },
  postgres: {
    packages: ['pg'],
    load: () => import('../backends/postgres/index.js'),
  },
  redis: {
    packages: ['ioredis'],
    load: () => import('../backends/redis/index.js'),
  },
  nats: {
    packages: ['@nats-io/transport-node', '@nats-io/jetstream'],
    load: () => import('../backends/nats/index.js'),
  },
} as const;

export type DriverBackend = keyof typeof backends;

/** The npm packages each backend's driver is made of (what the error tells to install). */
export const driverPackages: Readonly<Record<DriverBackend, readonly string[]>> = {
  sqlite: backends.sqlite.packages,
  postgres: backends.postgres.packages,
  redis: backends.redis.packages,
  nats: backends.nats.packages,
};

/**
 * Imports a backend's module (`herald/postgres` and so on). When its driver is not installed,
 * throws `the postgres log needs pg, which is not installed: run \`npm install pg\``.
 * `load` and `resolves` replace the import and the package lookup (for tests).
 */
export async function openDriverLog<B extends DriverBackend>(
  backend: B,
  options: { load?: () => Promise<unknown>; resolves?: PackageResolves } = {},
): Promise<Awaited<ReturnType<(typeof backends)[B]['load']>>> {
  const load = (options.load ?? backends[backend].load) as () => Promise<
    Awaited<ReturnType<(typeof backends)[B]['load']>>
  >;
  return importNeeding(`the ${backend} log`, driverPackages[backend], load, { resolves: options.resolves });
}
