import type { Command } from 'commander';
import { addHubOptions, hubFrom, hubJson, type Hub } from './hub-client.js';
import { stdio, type Output } from './output.js';

/** Options of `herald publish`. */
export interface PublishOptions {
  source?: string;
  subject?: string;
  stream?: string;
  expectedVersion?: string;
  /** Deliver this many ms from now (Herald-Delay-Ms). */
  delay?: string;
  /** Deliver at this RFC 3339 time (Herald-Deliver-At). */
  at?: string;
  json?: boolean;
}

interface ScheduledReply {
  scheduled: { id: string; deliverAt: string; duplicate: boolean }[];
}

interface Published {
  events: {
    id: string;
    position: number;
    stream: string | null;
    version: number | null;
    duplicate: boolean;
  }[];
}

/**
 * Publishes one event through `POST /v1/events` (plain JSON `{ type, data }`), appending to
 * `stream` with `expectedVersion` when given, and prints its id and position. `json` is the data
 * as JSON text, `-` to read it from stdin, or `undefined` for an event without data.
 *
 * @example
 * ```ts
 * await publish(hub, 'order.created', '{"id":"o-1"}', { stream: 'order-o-1', expectedVersion: 'no_stream' });
 * // published order.created as 0195... at position 12 (stream order-o-1, version 1)
 * ```
 */
export async function publish(
  hub: Hub,
  type: string,
  json: string | undefined,
  options: PublishOptions = {},
  io: Output = stdio,
): Promise<void> {
  if (options.expectedVersion !== undefined && options.stream === undefined) {
    throw new Error('--expected-version needs --stream');
  }
  if (options.delay !== undefined && options.at !== undefined)
    throw new Error('give --delay or --at, not both');
  const text = json === '-' ? await readStdin() : json;
  const body: Record<string, unknown> = { type };
  if (text !== undefined) body.data = parseData(text, json === '-' ? 'stdin' : 'the json argument');
  if (options.source !== undefined) body.source = options.source;
  if (options.subject !== undefined) body.subject = options.subject;
  const headers: Record<string, string> = {};
  if (options.stream !== undefined) headers['herald-stream'] = options.stream;
  if (options.expectedVersion !== undefined) headers['herald-expected-version'] = options.expectedVersion;
  if (options.delay !== undefined) headers['herald-delay-ms'] = options.delay;
  if (options.at !== undefined) headers['herald-deliver-at'] = options.at;
  if (options.delay !== undefined || options.at !== undefined) {
    const scheduled = await hubJson<ScheduledReply>(hub, 'POST', '/v1/events', body, headers);
    if (options.json === true) return io.out(JSON.stringify(scheduled));
    for (const e of scheduled.scheduled) {
      const duplicate = e.duplicate ? ', a duplicate: it was already scheduled' : '';
      io.out(`scheduled ${type} as ${e.id} for ${e.deliverAt}${duplicate}`);
    }
    return;
  }
  const reply = await hubJson<Published>(hub, 'POST', '/v1/events', body, headers);
  if (options.json === true) return io.out(JSON.stringify(reply));
  for (const e of reply.events) {
    const stream = e.stream === null ? '' : ` (stream ${e.stream}, version ${String(e.version)})`;
    const duplicate = e.duplicate ? ', a duplicate: it was already stored' : '';
    io.out(`published ${type} as ${e.id} at position ${e.position}${stream}${duplicate}`);
  }
}

function parseData(text: string, from: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`the data in ${from} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Adds `herald publish <type> [json]` to the program.
 *
 * @example
 * ```sh
 * herald publish order.created '{"id":"o-1"}' --stream order-o-1 --expected-version no_stream
 * ```
 */
export function addPublishCommand(program: Command): Command {
  addHubOptions(
    program
      .command('publish')
      .description('publish one event to the hub (POST /v1/events)')
      .argument('<type>', 'the event type, e.g. order.created')
      .argument('[json]', 'the data as JSON, or - to read it from stdin')
      .option('--source <uri>', 'the CloudEvents source (default: set by the hub)')
      .option('--subject <subject>', 'the CloudEvents subject')
      .option('--stream <stream>', 'append to this stream (Herald-Stream)')
      .option('--expected-version <v>', 'any, no_stream, stream_exists or a version (needs --stream)')
      .option('--delay <ms>', 'deliver this many ms from now (stored in the schedule until then)')
      .option('--at <time>', 'deliver at this RFC 3339 time, e.g. 2027-01-01T09:00:00Z')
      .option('--json', "print the hub's reply as JSON"),
  ).action(
    async (
      type: string,
      json: string | undefined,
      options: PublishOptions & { url?: string; token?: string },
    ) => publish(hubFrom(options), type, json, options),
  );
  return program;
}
