import type { Command } from 'commander';
import { table, truncate, type ShownEvent } from './format.js';
import { addHubOptions, hubFrom, hubJson, type Hub } from './hub-client.js';
import { stdio, type Output } from './output.js';

interface DeadLetterRow {
  event: ShownEvent;
  deliveries: number;
  error: string | null;
  at: string;
}

const group = (name: string): string => `/v1/groups/${encodeURIComponent(name)}/dead-letters`;

/**
 * Prints a group's dead letters (`GET /v1/groups/:name/dead-letters`, admin only) as a table.
 *
 * @example
 * ```ts
 * await listDeadLetters(hub, 'billing', { limit: '20' });
 * // position  type           deliveries  at                        error
 * // 12        order.created  5           2025-01-01T00:00:00.000Z  card declined
 * ```
 */
export async function listDeadLetters(
  hub: Hub,
  name: string,
  options: { limit?: string; after?: string; json?: boolean } = {},
  io: Output = stdio,
): Promise<void> {
  const params = new URLSearchParams();
  if (options.limit !== undefined) params.set('limit', options.limit);
  if (options.after !== undefined) params.set('after', options.after);
  const query = params.size === 0 ? '' : `?${params.toString()}`;
  const reply = await hubJson<{ deadLetters: DeadLetterRow[] }>(hub, 'GET', `${group(name)}${query}`);
  if (options.json === true) return io.out(JSON.stringify(reply));
  if (reply.deadLetters.length === 0) return io.out(`no dead letters in ${name}`);
  const rows = reply.deadLetters.map((d) => [
    d.event.position,
    d.event.type,
    d.deliveries,
    d.at,
    truncate(d.error ?? '-', 80),
  ]);
  for (const line of table(['position', 'type', 'deliveries', 'at', 'error'], rows)) io.out(line);
  const last = reply.deadLetters[reply.deadLetters.length - 1]!.event.position;
  io.out(`(next page: --after ${last})`);
}

interface ErrorGroupRow {
  error: string | null;
  count: number;
  firstDeadAt: string;
  lastDeadAt: string;
  example: string | null;
}

/**
 * Prints a group's dead letters grouped by normalised error (`GET .../dead-letters/errors`):
 * count, first and last seen, the normalised error (pass it to `dlq redrive --error`) and an
 * example raw error.
 *
 * @example
 * ```ts
 * await listDeadLetterErrors(hub, 'billing');
 * // count  first seen                last seen                 error
 * // 41     2025-01-07T10:21:13.004Z  2025-01-07T11:02:40.511Z  timeout after <n> ms
 * ```
 */
export async function listDeadLetterErrors(
  hub: Hub,
  name: string,
  options: { json?: boolean } = {},
  io: Output = stdio,
): Promise<void> {
  const reply = await hubJson<{ errors: ErrorGroupRow[]; scanned: number; truncated: boolean }>(
    hub,
    'GET',
    `${group(name)}/errors`,
  );
  if (options.json === true) return io.out(JSON.stringify(reply));
  if (reply.errors.length === 0) return io.out(`no dead letters in ${name}`);
  const rows = reply.errors.map((e) => [
    e.count,
    e.firstDeadAt,
    e.lastDeadAt,
    truncate(e.error ?? '(no error)', 80),
  ]);
  for (const line of table(['count', 'first seen', 'last seen', 'error'], rows)) io.out(line);
  if (reply.truncated) io.out(`(counted the first ${String(reply.scanned)} dead letters only)`);
}

/**
 * Redrives (delivers again) or purges (deletes) a group's dead letters at `positions`, or all of
 * them when none are given; purging all needs `yes`, since it cannot be undone.
 *
 * @example
 * ```ts
 * await settleDeadLetters(hub, 'redrive', 'billing', ['12', '15']); // redriven 2 dead letter(s) of billing
 * ```
 */
export async function settleDeadLetters(
  hub: Hub,
  action: 'redrive' | 'purge',
  name: string,
  positions: readonly string[],
  options: { yes?: boolean; error?: string } = {},
  io: Output = stdio,
): Promise<void> {
  if (options.error !== undefined) {
    if (action !== 'redrive' || positions.length > 0) {
      throw new Error('--error redrives the dead letters of one normalised error: give it without positions');
    }
    const reply = await hubJson<{ redriven: number; truncated?: boolean }>(
      hub,
      'POST',
      `${group(name)}/redrive`,
      {
        error: options.error,
      },
    );
    io.out(`redriven ${String(reply.redriven)} dead letter(s) of ${name} with error "${options.error}"`);
    return;
  }
  const numbers = positions.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || !Number.isSafeInteger(Number(p))) {
      throw new Error(`positions must be whole numbers of 1 or more, got "${p}"`);
    }
    return Number(p);
  });
  if (action === 'purge' && numbers.length === 0 && options.yes !== true) {
    throw new Error(
      `this would delete every dead letter of ${name}: pass --yes to confirm, or name positions`,
    );
  }
  const body = numbers.length === 0 ? {} : { positions: numbers };
  const reply = await hubJson<{ redriven?: number; purged?: number }>(
    hub,
    'POST',
    `${group(name)}/${action}`,
    body,
  );
  const count = action === 'redrive' ? reply.redriven : reply.purged;
  io.out(`${action === 'redrive' ? 'redriven' : 'purged'} ${String(count ?? 0)} dead letter(s) of ${name}`);
}

/**
 * Adds `herald dlq list|errors|redrive|purge` to the program.
 *
 * @example
 * ```sh
 * herald dlq list billing && herald dlq redrive billing 12 15
 * ```
 */
export function addDlqCommand(program: Command): Command {
  const dlq = program.command('dlq').description("a consumer group's dead letters (admin)");
  addHubOptions(
    dlq
      .command('list')
      .description("list a group's dead letters")
      .argument('<group>', 'the consumer group')
      .option('--limit <n>', 'at most this many (1-1000, default 100)')
      .option('--after <position>', 'only those after this position (the next page)')
      .option('--json', "print the hub's reply as JSON"),
  ).action(
    async (
      name: string,
      options: { limit?: string; after?: string; json?: boolean; url?: string; token?: string },
    ) => listDeadLetters(hubFrom(options), name, options),
  );
  addHubOptions(
    dlq
      .command('errors')
      .description("a group's dead letters grouped by normalised error")
      .argument('<group>', 'the consumer group')
      .option('--json', "print the hub's reply as JSON"),
  ).action(async (name: string, options: { json?: boolean; url?: string; token?: string }) =>
    listDeadLetterErrors(hubFrom(options), name, options),
  );
  addHubOptions(
    dlq
      .command('redrive')
      .description('deliver dead letters to the group again (all when no positions are given)')
      .argument('<group>', 'the consumer group')
      .argument('[positions...]', 'positions of the dead letters')
      .option('--error <normalised>', 'only those with this normalised error (as `dlq errors` prints it)'),
  ).action(
    async (name: string, positions: string[], options: { error?: string; url?: string; token?: string }) =>
      settleDeadLetters(hubFrom(options), 'redrive', name, positions, options),
  );
  addHubOptions(
    dlq
      .command('purge')
      .description('delete dead letters (all, with --yes, when no positions are given)')
      .argument('<group>', 'the consumer group')
      .argument('[positions...]', 'positions of the dead letters')
      .option('--yes', 'confirm deleting every dead letter of the group'),
  ).action(
    async (name: string, positions: string[], options: { yes?: boolean; url?: string; token?: string }) =>
      settleDeadLetters(hubFrom(options), 'purge', name, positions, options),
  );
  return program;
}
