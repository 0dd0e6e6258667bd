import { setTimeout as delay } from 'node:timers/promises';
import { hubError, hubFetch, notAHub, type Hub } from './hub-client.js';
import type { Output } from './output.js';
import { SseParser, type SseMessage } from './sse-parser.js';

/** Options of `streamSse`. */
export interface SseStreamOptions {
  /** Ends the stream (resolves) when aborted. */
  signal: AbortSignal;
  onMessage(message: SseMessage): void;
  /** Where reconnection notices go. */
  io: Output;
  /** Before the hub sends `retry:` (default 2,000 ms). */
  retryMs?: number;
}

/**
 * Follows a server-sent event stream of the hub until `signal` aborts, as a browser `EventSource`
 * would: when the connection drops, it waits the hub's `retry:` time and reconnects to the same
 * URL with `Last-Event-ID`, so the hub resumes after the last event seen. A hub that cannot be
 * reached at first, or that answers 4xx, ends it with an error; once connected, network errors
 * and 5xx replies are retried. The hub's `: herald: ...` comments (events lost to retention, a
 * shutdown) are written to `io.err`.
 *
 * @example
 * ```ts
 * await streamSse(hub, '/v1/sse?types=orders.>', { signal, io: stdio, onMessage: (m) => console.log(m.data) });
 * ```
 */
export async function streamSse(hub: Hub, path: string, options: SseStreamOptions): Promise<void> {
  const { signal, io } = options;
  let retryMs = options.retryMs ?? 2_000;
  let lastEventId: string | undefined;
  let connected = false;
  // A function, not the property: the signal aborts while this awaits.
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    const parser = new SseParser(lastEventId);
    let problem = 'the hub closed the stream';
    let res: Response | undefined;
    try {
      res = await hubFetch(hub, path, {
        signal,
        headers: {
          accept: 'text/event-stream',
          ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
        },
      });
    } catch (error) {
      if (stopped()) return;
      if (!connected) throw error;
      problem = messageOf(error);
    }
    if (res && !res.ok) {
      const error = await hubError(res, { hub, method: 'GET', path });
      if (!connected || res.status < 500) throw error;
      problem = error.message;
    } else if (res) {
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream')) {
        await res.body?.cancel().catch(() => undefined);
        throw notAHub(hub, 'GET', path, res);
      }
      connected = true;
      try {
        for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
          for (const message of parser.push(chunk)) options.onMessage(message);
          for (const note of parser.notes.splice(0)) io.err(note);
        }
      } catch (error) {
        if (stopped()) return;
        problem = messageOf(error);
      }
    }
    lastEventId = parser.lastEventId;
    retryMs = parser.retryMs ?? retryMs;
    io.err(`herald: ${problem}; reconnecting in ${retryMs} ms${lastEventId ? ` after ${lastEventId}` : ''}`);
    try {
      await delay(retryMs, undefined, { signal });
    } catch {
      return; // aborted while waiting
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
