import type { Command } from 'commander';
import { isValidPattern } from '../subject/subject.js';
import { eventLine, type ShownEvent } from './format.js';
import { addHubOptions, hubFrom, type Hub } from './hub-client.js';
import { stdio, type Output } from './output.js';
import type { SseMessage } from './sse-parser.js';
import { streamSse } from './sse-stream.js';

/** Options of `herald tail`. */
export interface TailOptions {
  /** `start`, `end` (the default: only new events), a position, or an RFC 3339 time. */
  from?: string;
  /** Print each event as one line of JSON. */
  json?: boolean;
}

/**
 * Follows the events whose types match `patterns` over `GET /v1/sse` until `signal` aborts,
 * printing one line per event (`<position> <time> <type> [subject] <data>`, or the event as JSON
 * with `json`). Reconnects after a dropped connection with `Last-Event-ID`, so no event is missed
 * or repeated.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * process.once('SIGINT', () => stop.abort());
 * await tail(hub, ['orders.>'], { from: 'start' }, stop.signal);
 * ```
 */
export async function tail(
  hub: Hub,
  patterns: readonly string[],
  options: TailOptions,
  signal: AbortSignal,
  io: Output = stdio,
): Promise<void> {
  for (const pattern of patterns) {
    if (!isValidPattern(pattern))
      throw new Error(`"${pattern}" is not a valid pattern (e.g. orders.> or orders.*)`);
  }
  const from = options.from ?? 'end';
  if (!/^(start|end|\d+)$/.test(from) && Number.isNaN(Date.parse(from))) {
    throw new Error(`--from must be start, end, a position or an RFC 3339 time, got "${from}"`);
  }
  const query = new URLSearchParams({ types: patterns.join(','), from });
  await streamSse(hub, `/v1/sse?${query.toString()}`, {
    signal,
    io,
    onMessage: (message) => io.out(show(message, options.json === true)),
  });
}

function show(message: SseMessage, json: boolean): string {
  let event: ShownEvent | undefined;
  try {
    event = JSON.parse(message.data) as ShownEvent;
  } catch {
    // not JSON: shown as it came
  }
  if (json)
    return event === undefined ? JSON.stringify({ event: message.event, data: message.data }) : message.data;
  return event === undefined || typeof event !== 'object'
    ? `${message.event} ${message.data}`
    : eventLine(event);
}

/**
 * Adds `herald tail <patterns...>` to the program; Ctrl-C (or SIGTERM) stops it with exit code 0.
 *
 * @example
 * ```sh
 * herald tail 'orders.>' 'payments.*' --from start
 * ```
 */
export function addTailCommand(program: Command): Command {
  addHubOptions(
    program
      .command('tail')
      .description('follow events as they are published (GET /v1/sse); Ctrl-C stops')
      .argument('<patterns...>', 'type patterns, e.g. orders.> payments.*')
      .option('--from <from>', 'start, end, a position or an RFC 3339 time', 'end')
      .option('--json', 'print each event as one line of JSON'),
  ).action(async (patterns: string[], options: TailOptions & { url?: string; token?: string }) => {
    const stop = new AbortController();
    const abort = (): void => stop.abort();
    process.once('SIGINT', abort);
    process.once('SIGTERM', abort);
    try {
      await tail(hubFrom(options), patterns, options, stop.signal);
    } finally {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    }
  });
  return program;
}
