import type { Command } from 'commander';
import { eventLine, type ShownEvent } from './format.js';
import { addHubOptions, hubFrom, hubJson, type Hub } from './hub-client.js';
import { stdio, type Output } from './output.js';

/** Options of `herald events`. */
export interface EventsOptions {
  /** Comma-separated type patterns. */
  types?: string;
  /** The cursor: events after this position. */
  after?: string;
  limit?: string;
  stream?: string;
  json?: boolean;
}

/**
 * Prints one page of `GET /v1/events`, one line per event, then the cursor of the next page (or
 * the hub's reply as JSON with `json`).
 *
 * @example
 * ```ts
 * await events(hub, { types: 'orders.>', after: '100', limit: '20' });
 * // 101 2025-01-01T00:00:00.000Z order.created {"id":"o-1"}
 * // next: herald events --after 101
 * ```
 */
export async function events(hub: Hub, options: EventsOptions = {}, io: Output = stdio): Promise<void> {
  const query = new URLSearchParams();
  if (options.types !== undefined) query.set('types', options.types);
  if (options.after !== undefined) query.set('after', options.after);
  if (options.limit !== undefined) query.set('limit', options.limit);
  if (options.stream !== undefined) query.set('stream', options.stream);
  const page = await hubJson<{ events: ShownEvent[]; next: number }>(
    hub,
    'GET',
    `/v1/events?${query.toString()}`,
  );
  if (options.json === true) return io.out(JSON.stringify(page));
  for (const event of page.events) io.out(eventLine(event));
  if (page.events.length === 0) io.out(`no events after position ${options.after ?? '0'}`);
  io.out(`next: herald events --after ${page.next}`);
}

/**
 * Adds `herald events` to the program.
 *
 * @example
 * ```sh
 * herald events --types 'orders.>' --limit 20
 * ```
 */
export function addEventsCommand(program: Command): Command {
  addHubOptions(
    program
      .command('events')
      .description('list stored events, a page at a time (GET /v1/events)')
      .option('--types <patterns>', 'comma-separated type patterns, e.g. orders.>,payments.*')
      .option('--after <position>', 'the cursor: events after this position')
      .option('--limit <n>', 'events per page (1-1000, default 100)')
      .option('--stream <stream>', "only this stream's events")
      .option('--json', "print the hub's reply as JSON"),
  ).action(async (options: EventsOptions & { url?: string; token?: string }) =>
    events(hubFrom(options), options),
  );
  return program;
}
