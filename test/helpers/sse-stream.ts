import { SseParser, type SseEvent } from './sse-parser.js';

/** A live SSE response read with fetch and parsed with the test parser. */
export interface SseStream {
  readonly response: Response;
  readonly events: SseEvent[];
  readonly comments: string[];
  readonly retry: number[];
  /** Everything received, decoded (to check the wire format). */
  readonly raw: () => string;
  readonly ended: () => boolean;
  /** The last event id the parser holds (what a reconnect would send). */
  readonly lastEventId: () => string;
  /** The stream's positions, from the ids of its events. */
  readonly positions: () => number[];
  close(): void;
}

/**
 * Opens `url` as an SSE stream (fetch, undici) and parses it as it arrives. Fails unless the
 * answer is 200 `text/event-stream`.
 *
 * @example
 * ```ts
 * const stream = await openSse(`${base}/v1/sse?from=start`);
 * await waitFor(() => stream.events.length === 3);
 * stream.close();
 * ```
 */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    abort.abort();
    throw new Error(`not an event stream: ${response.status} ${await response.text().catch(() => '')}`);
  }
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retry: number[] = [];
  const decoder = new TextDecoder();
  let raw = '';
  let ended = false;
  const parser = new SseParser({
    onEvent: (e) => events.push(e),
    onComment: (c) => comments.push(c),
    onRetry: (ms) => retry.push(ms),
  });
  void (async () => {
    try {
      for await (const chunk of response.body!) {
        const bytes = chunk as Uint8Array;
        raw += decoder.decode(bytes, { stream: true });
        parser.push(bytes);
      }
      parser.end();
    } catch {
      // Aborted by close(), or the connection was cut.
    } finally {
      ended = true;
    }
  })();
  return {
    response,
    events,
    comments,
    retry,
    raw: () => raw,
    ended: () => ended,
    lastEventId: () => parser.lastEventId,
    positions: () => events.map((e) => Number(e.lastEventId)),
    close: () => abort.abort(),
  };
}
