/** One dispatched server-sent event. */
export interface SseMessage {
  /** The last event id seen on the connection (the `id:` of this event or an earlier one). */
  readonly id: string | undefined;
  /** `event:`, or `message` when none was given. */
  readonly event: string;
  readonly data: string;
}

/**
 * An incremental parser of `text/event-stream` (the WHATWG rules): feed it decoded chunks as they
 * arrive, get the complete events back. Lines end in LF, CRLF or CR; `:` lines are comments;
 * `data:` lines are joined with LF; `: herald: ...` comments are kept in `notes`; `retry:` sets `retryMs`; `id:` sets `lastEventId`, which
 * persists across events.
 *
 * @example
 * ```ts
 * const parser = new SseParser();
 * parser.push('id: 7\nevent: order.created\ndata: {"position":7}\n\n'); // [{ id: '7', event: 'order.created', data: '{"position":7}' }]
 * ```
 */
export class SseParser {
  lastEventId: string | undefined;
  retryMs: number | undefined;
  /** Comments the hub addressed to people (`: herald: ...`), for the caller to show and clear. */
  notes: string[] = [];
  private buffer = '';
  private afterCr = false;
  private data: string[] = [];
  private event = '';

  constructor(lastEventId?: string) {
    this.lastEventId = lastEventId;
  }

  /** Parses `chunk` and returns the events it completed. */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    // A CR ending the previous chunk already ended its line; an LF right after it is that line's.
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = text.endsWith('\r');
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop()!;
    const messages: SseMessage[] = [];
    for (const line of lines) {
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      const comment = line.slice(1).trim();
      if (comment.startsWith('herald:')) this.notes.push(comment);
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const { data, event } = this;
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return { id: this.lastEventId, event: event || 'message', data: data.join('\n') };
  }
}
