/** An event as an `EventSource` dispatches it. */
export interface SseEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** What the parser reports besides events. */
export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  onComment?(text: string): void;
  onRetry?(ms: number): void;
}

/**
 * A Server-Sent Events parser that follows the WHATWG HTML "event stream interpretation"
 * (section 9.2.6) to the letter, for tests: UTF-8 decoding that strips one leading BOM, lines
 * ended by CRLF, LF or CR (a CR at the end of a chunk waits for the next one), comments, the
 * `event`, `data`, `id` (ignored when it contains U+0000) and `retry` (ASCII digits only)
 * fields, one leading space stripped from a value, dispatch on an empty line (nothing when the
 * data buffer is empty, but the last event id is still set), and an unterminated final event
 * discarded at the end of the stream.
 *
 * @example
 * ```ts
 * const events: SseEvent[] = [];
 * const parser = new SseParser({ onEvent: (e) => events.push(e) });
 * parser.push('id: 1\ndata: hello\n\n');
 * parser.end();
 * ```
 */
export class SseParser {
  readonly #handlers: SseParserHandlers;
  readonly #decoder = new TextDecoder('utf-8');
  #pending = '';
  /** The previous chunk ended with CR: an LF starting the next one belongs to it. */
  #skipLf = false;
  #data = '';
  #type = '';
  #lastEventIdBuffer = '';
  /** The event source's last event id (what a reconnect sends as Last-Event-ID). */
  lastEventId = '';

  constructor(handlers: SseParserHandlers) {
    this.#handlers = handlers;
  }

  /** Feeds bytes (or already decoded text) as they arrive. */
  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    this.#lines(text);
  }

  /** The stream ended: flushes the decoder; an event without its final empty line is dropped. */
  end(): void {
    this.#lines(this.#decoder.decode());
    this.#pending = '';
    this.#data = '';
    this.#type = '';
  }

  #lines(text: string): void {
    let input = text;
    if (this.#skipLf && input.length > 0) {
      this.#skipLf = false;
      if (input.startsWith('\n')) input = input.slice(1);
    }
    let buffer = this.#pending + input;
    for (;;) {
      const cr = buffer.indexOf('\r');
      const lf = buffer.indexOf('\n');
      if (cr === -1 && lf === -1) break;
      let end: number;
      let next: number;
      if (lf !== -1 && (cr === -1 || lf < cr)) {
        end = lf;
        next = lf + 1;
      } else if (cr + 1 < buffer.length) {
        end = cr;
        next = buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else {
        // A CR at the very end: the line is complete, but an LF may follow in the next chunk.
        end = cr;
        next = cr + 1;
        this.#skipLf = true;
      }
      this.#line(buffer.slice(0, end));
      buffer = buffer.slice(next);
    }
    this.#pending = buffer;
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.#handlers.onComment?.(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#data += `${value}\n`;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.#lastEventIdBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  #dispatch(): void {
    this.lastEventId = this.#lastEventIdBuffer;
    if (this.#data === '') {
      this.#type = '';
      return;
    }
    const data = this.#data.endsWith('\n') ? this.#data.slice(0, -1) : this.#data;
    const type = this.#type === '' ? 'message' : this.#type;
    this.#data = '';
    this.#type = '';
    this.#handlers.onEvent({ type, data, lastEventId: this.lastEventId });
  }
}

/**
 * Parses a whole stream at once.
 *
 * @example
 * ```ts
 * parseSse('data: a\n\n').events; // [{ type: 'message', data: 'a', lastEventId: '' }]
 * ```
 */
export function parseSse(stream: Uint8Array | string): {
  events: SseEvent[];
  comments: string[];
  retry: number[];
} {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retry: number[] = [];
  const parser = new SseParser({
    onEvent: (e) => events.push(e),
    onComment: (c) => comments.push(c),
    onRetry: (ms) => retry.push(ms),
  });
  parser.push(typeof stream === 'string' ? new TextEncoder().encode(stream) : stream);
  parser.end();
  return { events, comments, retry };
}
