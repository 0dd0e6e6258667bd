import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addDlqCommand } from './dlq.js';
import { addEventsCommand } from './events.js';
import { addGroupsCommand } from './groups.js';
import { addPublishCommand } from './publish.js';
import { addScheduledCommand } from './scheduled.js';
import { addServeCommand } from './serve-command.js';
import { addTailCommand } from './tail.js';

/**
 * The version in Herald's package.json (read at run time, so it cannot drift).
 *
 * @example
 * ```ts
 * heraldVersion(); // '0.1.0'
 * ```
 */
export function heraldVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Builds the `herald` command: `serve` runs the hub; `publish`, `tail`, `events`, `groups`, `dlq` and `scheduled`
 * talk to a running one (`--url`, `--token`, or `HERALD_URL`, `HERALD_TOKEN`).
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
  for (const add of [
    addServeCommand,
    addPublishCommand,
    addTailCommand,
    addEventsCommand,
    addGroupsCommand,
    addDlqCommand,
    addScheduledCommand,
  ]) {
    add(program);
  }
  return program;
}
