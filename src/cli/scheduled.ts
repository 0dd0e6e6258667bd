import type { Command } from 'commander';
import { table, truncate, type ShownEvent } from './format.js';
import { addHubOptions, hubFrom, hubJson, type Hub } from './hub-client.js';
import { stdio, type Output } from './output.js';

interface ScheduledPage {
  scheduled: { event: ShownEvent & { id: string }; deliverAt: string; stream: string | null }[];
  next: string | null;
}

/**
 * Prints the events waiting for their delivery time (`GET /v1/scheduled`) as a table, in due order.
 *
 * @example
 * ```ts
 * await listScheduled(hub, { limit: '20' });
 * // due                       type              id        stream
 * // 2027-01-01T09:00:00.000Z  invoice.reminder  0195...   -
 * ```
 */
export async function listScheduled(
  hub: Hub,
  options: { limit?: string; after?: string; json?: boolean } = {},
  io: Output = stdio,
): Promise<void> {
  const params = new URLSearchParams();
  if (options.limit !== undefined) params.set('limit', options.limit);
  if (options.after !== undefined) params.set('after', options.after);
  const query = params.size === 0 ? '' : `?${params.toString()}`;
  const reply = await hubJson<ScheduledPage>(hub, 'GET', `/v1/scheduled${query}`);
  if (options.json === true) return io.out(JSON.stringify(reply));
  if (reply.scheduled.length === 0) io.out('no scheduled events pending');
  else {
    const rows = reply.scheduled.map((s) => [
      s.deliverAt,
      s.event.type,
      s.event.id,
      truncate(s.stream ?? '-', 40),
    ]);
    for (const line of table(['due', 'type', 'id', 'stream'], rows)) io.out(line);
  }
  if (reply.next !== null) io.out(`(next page: --after ${reply.next})`);
}

/**
 * Cancels a scheduled event (`DELETE /v1/scheduled/:id`, admin only); fails when nothing with
 * that id is pending.
 *
 * @example
 * ```ts
 * await cancelScheduled(hub, '0195...');
 * // cancelled 0195...: it will not be delivered
 * ```
 */
export async function cancelScheduled(hub: Hub, id: string, io: Output = stdio): Promise<void> {
  await hubJson(hub, 'DELETE', `/v1/scheduled/${encodeURIComponent(id)}`);
  io.out(`cancelled ${id}: it will not be delivered`);
}

/**
 * Adds `herald scheduled list` and `herald scheduled cancel <id>` to the program.
 *
 * @example
 * ```sh
 * herald scheduled list --limit 20
 * herald scheduled cancel 0195...
 * ```
 */
export function addScheduledCommand(program: Command): Command {
  const scheduled = program.command('scheduled').description('events waiting for their delivery time');
  addHubOptions(
    scheduled
      .command('list')
      .description('list the pending scheduled events in due order (GET /v1/scheduled)')
      .option('--limit <n>', 'at most this many (1 to 1000, default 100)')
      .option('--after <cursor>', 'the next-page cursor a previous list printed')
      .option('--json', "print the hub's reply as JSON"),
  ).action(
    async (options: { limit?: string; after?: string; json?: boolean; url?: string; token?: string }) =>
      listScheduled(hubFrom(options), options),
  );
  addHubOptions(
    scheduled
      .command('cancel')
      .description('cancel a scheduled event by id (DELETE /v1/scheduled/:id, admin)')
      .argument('<id>', 'the event id'),
  ).action(async (id: string, options: { url?: string; token?: string }) =>
    cancelScheduled(hubFrom(options), id),
  );
  return program;
}
