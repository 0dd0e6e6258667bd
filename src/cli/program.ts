import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addServeCommand } from './serve.js';

/** The version in Herald's package.json (read at run time, so it cannot drift). */
export function heraldVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Builds the `herald` command. Subcommands (serve, publish, tail, ...) are added as the hub lands.
 *
 * @example
 * ```ts
 * await createProgram().parseAsync(['node', 'herald', '--version']);
 * ```
 */
export function createProgram(): Command {
  const program = new Command('herald')
    .description(
      'Herald: CloudEvents, NATS-style subjects and a broker with delivery policies, for TypeScript.',
    )
    .version(heraldVersion(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError();
  return addServeCommand(program);
}
