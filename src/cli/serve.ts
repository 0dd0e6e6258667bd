import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { sqliteLog } from '../backends/sqlite/index.js';
import { memoryLog } from '../log/memory-log.js';
import type { EventLog } from '../log/types.js';
import { createServer } from '../server/create-server.js';

/** Options of `herald serve` (flags; config files and HERALD_* variables come with the rest of the hub). */
export interface ServeOptions {
  host: string;
  port: string;
  data: string;
  log: string;
  insecure?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Runs the hub until SIGTERM or SIGINT: the HTTP API on the embedded SQLite log in `--data`
 * (or an in-memory log). Binding beyond loopback is refused without `--insecure`, because the hub
 * has no authentication yet.
 *
 * @example
 * ```sh
 * herald serve --port 4021 --data ./herald-data
 * ```
 */
export async function serve(options: ServeOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0-65535, got "${options.port}"`);
  if (!LOOPBACK.has(options.host) && options.insecure !== true) {
    throw new Error(
      `refusing to listen on ${options.host}: no authentication is configured, so anyone who can reach it could read and publish. ` +
        'Bind to 127.0.0.1, or pass --insecure if you mean it.',
    );
  }
  let log: EventLog;
  if (options.log === 'memory') log = memoryLog();
  else if (options.log === 'sqlite') {
    mkdirSync(options.data, { recursive: true });
    log = await sqliteLog({ path: join(options.data, 'events.db') });
  } else throw new Error(`--log must be sqlite or memory, got "${options.log}"`);

  const app = createServer({ log, logger: true });
  const address = await app.listen({ host: options.host, port });
  console.log(
    `herald listening on ${address} (log: ${options.log}${options.log === 'sqlite' ? ` in ${options.data}` : ''})`,
  );

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // Stop accepting, let requests in flight finish, then close the log (its last commit is on disk).
  await app.close();
  await log.close();
  console.log('herald stopped');
}

/** Adds `herald serve` to the program. */
export function addServeCommand(program: Command): Command {
  program
    .command('serve')
    .description('run the hub: the HTTP API on the embedded SQLite log')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '4021')
    .option('--data <dir>', 'data directory of the SQLite log', './herald-data')
    .option('--log <kind>', 'sqlite or memory', 'sqlite')
    .option('--insecure', 'allow binding beyond loopback without authentication')
    .action(async (options: ServeOptions) => serve(options));
  return program;
}
