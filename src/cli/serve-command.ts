import { Option, type Command } from 'commander';
import { CONFIG_KEYS, envName } from '../server/config/config-keys.js';

/**
 * Adds `herald serve` to the program: `--config` and one flag per common setting (the rest are set
 * in the file or the environment; see `docs/configuration.md`).
 *
 * @example
 * ```ts
 * addServeCommand(new Command('herald'));
 * ```
 */
export function addServeCommand(program: Command): Command {
  const command = program
    .command('serve')
    .description('run the hub: the HTTP API on the embedded SQLite log (see docs/configuration.md)')
    .option('--config <file>', 'YAML config file (env HERALD_CONFIG; default ./herald.yaml if it exists)');
  for (const { key, flag, doc, default: value } of CONFIG_KEYS) {
    if (flag === undefined) continue;
    const shown = typeof value === 'string' || typeof value === 'number' ? `; default ${value}` : '';
    command.addOption(new Option(flag, `${doc} (env ${envName(key)}${shown})`));
  }
  // Loaded on use, so the client commands do not pay for Fastify and SQLite at start.
  command.action(async (options: Record<string, unknown>) => (await import('./serve.js')).serve(options));
  return program;
}
