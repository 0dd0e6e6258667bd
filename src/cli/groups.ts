import type { Command } from 'commander';
import { table } from './format.js';
import { addHubOptions, hubFrom, hubJson, type Hub } from './hub-client.js';
import { stdio, type Output } from './output.js';

interface GroupRow {
  name: string;
  ackedPosition: number;
  deliveredPosition: number;
  pending: number;
  lag: number;
  deadLetters: number;
}

/**
 * Prints the consumer groups of `GET /v1/groups` (admin only) as a table.
 *
 * @example
 * ```ts
 * await groups(hub);
 * // name     ackedPosition  pending  lag  deadLetters
 * // billing  120            2        5    1
 * ```
 */
export async function groups(hub: Hub, options: { json?: boolean } = {}, io: Output = stdio): Promise<void> {
  const reply = await hubJson<{ groups: GroupRow[] }>(hub, 'GET', '/v1/groups');
  if (options.json === true) return io.out(JSON.stringify(reply));
  if (reply.groups.length === 0) return io.out('no consumer groups');
  const rows = reply.groups.map((g) => [g.name, g.ackedPosition, g.pending, g.lag, g.deadLetters]);
  for (const line of table(['name', 'ackedPosition', 'pending', 'lag', 'deadLetters'], rows)) io.out(line);
}

/**
 * Adds `herald groups` to the program.
 *
 * @example
 * ```sh
 * herald groups --token "$ADMIN_KEY"
 * ```
 */
export function addGroupsCommand(program: Command): Command {
  addHubOptions(
    program
      .command('groups')
      .description('list consumer groups with their position, pending, lag and dead letters (admin)')
      .option('--json', "print the hub's reply as JSON"),
  ).action(async (options: { json?: boolean; url?: string; token?: string }) =>
    groups(hubFrom(options), options),
  );
  return program;
}
