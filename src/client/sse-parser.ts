/** An event as the WHATWG "event stream interpretation" dispatches it. */
export interface SseEvent {
  /** `event:`, or `message` when none (or an empty one) was given. */
  readonly type: string;
  readonly data: string;
  /** The stream's last event id when the event was dispatched (`''` when none was set). */
  readonly lastEventId: string;
}

/** What the parser reports. Only `onEvent` is required. */
export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  /** A comment line (`: text`), without the colon and one leading space. */
  onComment?(text: string): void;
  /** A valid `retry:` field (ASCII digits only), in milliseconds. */
  onRetry?(ms: number): void;
}

const DIGITS = /^[0-9]+$/;

/**
 * An incremental `text/event-stream` parser that follows the HTML Standard's "event stream
 * interpretation" to the letter, for browsers and Node alike (no Node built-ins): feed it bytes
 * (or text) as they arrive. It decodes UTF-8 across chunk boundaries and drops one leading BOM;
 * lines end in CRLF, LF or CR (a CR ending a chunk waits for an LF in the next); `:` lines are
 * comments; a field without a colon has an empty value; one space after the colon is dropped;
 * `data:` lines join with LF; `id:` containing U+0000 is ignored; `retry:` must be digits; an empty
 * line dispatches (nothing when no data was given, but the last event id is still set); an event
 * without its final empty line is discarded at `end()`. Proven against the WPT `eventsource/`
 * vectors in `test/client-sse-parser.test.ts`.
 *
 * @example
 * ```ts
 * const parser = new SseParser({ onEvent: (e) => console.log(e.type, e.data, e.lastEventId) });
 * parser.push(new TextEncoder().encode('id: 7\nevent: order.created\ndata: {}\n\n'));
 * parser.end();
 * ```
 */
export class SseParser {
  /** The last event id of the stream: what a reconnect sends as `Last-Event-ID`. */
  lastEventId: string;
  readonly #handlers: SseParserHandlers;
  readonly #decoder = new TextDecoder('utf-8');
  #pending = '';
  /** The previous text ended with CR: an LF starting the next one belongs to that line. */
  #skipLf = false;
  #data = '';
  #hasData = false;
  #type = '';
  #idBuffer: string;

  /** `lastEventId` starts a resumed stream with the id its previous connection reached. */
  constructor(handlers: SseParserHandlers, lastEventId = '') {
    this.#handlers = handlers;
    this.lastEventId = lastEventId;
    this.#idBuffer = lastEventId;
  }

  /** Feeds bytes (decoded as UTF-8, whatever the charset says) or already decoded text. */
  push(chunk: Uint8Array | string): void {
    this.#text(typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true }));
  }

  /** The stream ended: flushes the decoder and discards an event without its final empty line. */
  end(): void {
    this.#text(this.#decoder.decode());
    this.#pending = '';
    this.#data = '';
    this.#hasData = false;
    this.#type = '';
  }

  #text(input: string): void {
    if (input === '') return;
    // After a CR ending the previous text, nothing is pending: an LF here ends no new line.
    const skip = this.#skipLf && input.charCodeAt(0) === 10 ? 1 : 0;
    this.#skipLf = false;
    const text = this.#pending + (skip === 0 ? input : input.slice(1));
    this.#pending = '';
    const length = text.length;
    let lineStart = 0;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(text.slice(lineStart, i));
      if (c === 13) {
        if (i + 1 === length) this.#skipLf = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      lineStart = i + 1;
    }
    if (lineStart < length) this.#pending = text.slice(lineStart);
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.#handlers.onComment?.(line.charCodeAt(1) === 32 ? line.slice(2) : line.slice(1));
      return;
    }
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = '';
    if (colon !== -1)
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    switch (field) {
      case 'data':
        this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
        this.#hasData = true;
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.#idBuffer = value;
        break;
      case 'retry':
        if (DIGITS.test(value)) this.#handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  #dispatch(): void {
    this.lastEventId = this.#idBuffer;
    const type = this.#type === '' ? 'message' : this.#type;
    this.#type = '';
    if (!this.#hasData) return;
    const data = this.#data;
    this.#data = '';
    this.#hasData = false;
    this.#handlers.onEvent({ type, data, lastEventId: this.lastEventId });
  }
}
