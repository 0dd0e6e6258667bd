import type { StoredEvent } from '../../log/types.js';

/**
 * One event as live delivery sends it, serialized once for every client: the JSON of the stored
 * event, and its SSE frames built on first use (a hub with only WebSocket clients never builds
 * them). `seq` is its place in the feed's ring (-1 for events replayed from the log).
 *
 * @example
 * ```ts
 * const entry = new FeedEntry(storedEvent, -1);
 * socket.write(entry.sse()); // "id: 7\nevent: order.created\ndata: {...}\n\n"
 * ```
 */
export class FeedEntry {
  readonly seq: number;
  readonly position: number;
  readonly type: string;
  /** The stored CloudEvent (with `position` and `recordedat`) as one line of JSON. */
  readonly json: string;
  /** Roughly the memory it holds: the JSON, and the SSE frame built from it. */
  get size(): number {
    return this.json.length * 2;
  }
  /** Deliveries not yet reported to the metrics (counted here: cheaper than a counter per write). */
  sseDeliveries = 0;
  wsDeliveries = 0;
  #named: Buffer | undefined;
  #plain: Buffer | undefined;

  constructor(event: StoredEvent, seq: number) {
    this.seq = seq;
    this.position = event.position;
    this.type = event.type;
    // JSON escapes CR and LF inside strings, so the data is always one SSE line.
    this.json = JSON.stringify(event);
  }

  /** `id:`, `event: <type>`, `data:` and the blank line that dispatches it (`?named=true`). */
  sse(): Buffer {
    return (this.#named ??= Buffer.from(
      `id: ${this.position}\nevent: ${this.type}\ndata: ${this.json}\n\n`,
      'utf8',
    ));
  }

  /** The same without `event:`, so a browser's `onmessage` sees it (the default). */
  ssePlain(): Buffer {
    return (this.#plain ??= Buffer.from(`id: ${this.position}\ndata: ${this.json}\n\n`, 'utf8'));
  }
}
