import type { Command } from 'commander';
import { isValidPattern } from '../subject/subject.js';
import { eventLine } from './format.js';
import { createClient } from '../client/create-client.js';
import type { HeraldEvent } from '../event/types.js';
import { addHubOptions, cliError, hubFrom, type Hub } from './hub-client.js';
import { stdio, type Output } from './output.js';

const SSE = 'GET /v1/sse';

/** Options of `herald tail`. */
export interface TailOptions {
  /** `start`, `end` (the default: only new events), a position, or an RFC 3339 time. */
  from?: string;
  /** Print each event as one line of JSON. */
  json?: boolean;
}

/**
 * Follows the events whose types match `patterns` with herald/client's `events()` (`GET /v1/sse`)
 * until `signal` aborts, printing one line per event (`<position> <time> <type> [subject] <data>`,
 * or the event as JSON with `json`). A hub that cannot be reached at first, or that answers what
 * retrying cannot fix, ends it with an error; once connected, the client reconnects after a drop
 * (backoff from the hub's `retry:`) with `Last-Event-ID`, so no event is missed or repeated, and
 * `io.err` says so. The hub's `: herald: ...` comments go to `io.err` too.
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
  const client = createClient({ url: hub.url, token: hub.token });
  let opened = false;
  let failure: unknown;
  const stream = client.events(patterns, {
    from: from === 'start' || from === 'end' ? from : /^\d+$/.test(from) ? Number(from) : new Date(from),
    signal,
    onOpen: () => (opened = true),
    onNote: (text) => io.err(text),
    onRetry: ({ delayMs, error, lastEventId }) => {
      if (!opened) {
        // Never connected: a wrong --url or a hub that is down, not a drop to ride out.
        failure = error;
        stream.close();
        return;
      }
      const message = (cliError(error, hub, SSE) as Error).message;
      io.err(
        `herald: ${message}; reconnecting in ${delayMs} ms${lastEventId ? ` after ${lastEventId}` : ''}`,
      );
    },
  });
  try {
    for await (const event of stream) io.out(show(event, options.json === true));
  } catch (error) {
    if (!signal.aborted) throw cliError(error, hub, SSE);
  } finally {
    client.close();
  }
  if (failure !== undefined && !signal.aborted) throw cliError(failure, hub, SSE);
}

function show(event: HeraldEvent, json: boolean): string {
  return json ? JSON.stringify(event) : eventLine(event);
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
