import type { WebSocket } from '@fastify/websocket';
import type { FeedEntry } from './feed-entry.js';
import type { FeedSubscription } from './feed-subscriber.js';

/** Bytes queued on a socket past which its subscriptions wait for it to flush. */
const HIGH_WATER = 256 * 1024;

/**
 * Bytes of control replies queued on a socket past which another is not queued: the client is
 * not reading what it asked for, and the socket is closed (1013) instead of holding its replies
 * in memory. Events count apart (they pause at `HIGH_WATER`, and each subscription may finish
 * the batch it started): a client that reads while its subscriptions catch up is not cut.
 */
export const MAX_QUEUED = 1024 * 1024;

/** One subscription of a socket, as the outbox writes its events. */
export interface WsSlot {
  readonly id: string;
  /** `{"type":"event","subscription":<id>,"position":`, built once per subscription. */
  readonly prefix: string;
  handle: FeedSubscription | undefined;
  closed: boolean;
}

/**
 * A new subscription slot named `id`.
 *
 * @example
 * ```ts
 * const slot = wsSlot('orders');
 * slot.handle = feed.subscribe({ after, patterns, principal, sink });
 * ```
 */
export function wsSlot(id: string): WsSlot {
  return {
    id,
    prefix: `{"type":"event","subscription":${JSON.stringify(id)},"position":`,
    handle: undefined,
    closed: false,
  };
}

/**
 * Everything one socket sends. Events: every subscription writes through it, and they all pause
 * together once more than 256 KiB is queued on the socket, to resume when it has flushed. Control
 * replies (`subscribed`, `unsubscribed`, `ack`, `error`) are queued behind them while less than
 * `MAX_QUEUED` (1 MiB) of replies is; past it `reply` refuses and the session closes the socket.
 *
 * @example
 * ```ts
 * const outbox = new WsOutbox(socket);
 * const drained = outbox.send(slot, entries); // false: the feed waits for slot.handle.resume()
 * if (!outbox.reply(JSON.stringify({ type: 'unsubscribed', id }))) socket.close(1013);
 * ```
 */
export class WsOutbox {
  readonly #ws: WebSocket;
  /** Subscriptions whose last write found the socket full. */
  readonly #waiting = new Set<WsSlot>();
  #blocked = false;
  /** Bytes of control replies handed to the socket and not yet written out. */
  #replyBytes = 0;

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  /** Sends one `event` message per entry; false when the socket is full (the slot is resumed later). */
  send(slot: WsSlot, entries: readonly FeedEntry[]): boolean {
    if (slot.closed) return true;
    const ws = this.#ws;
    const last = entries.length - 1;
    for (let i = 0; i < last; i++) ws.send(frame(slot, entries[i]!));
    const final = frame(slot, entries[last]!);
    if (!this.#blocked && ws.bufferedAmount + final.length <= HIGH_WATER) {
      ws.send(final);
      return true;
    }
    // The callback of the last queued frame runs once everything before it reached the kernel.
    if (this.#blocked) ws.send(final);
    else ws.send(final, () => this.#flushed());
    this.#blocked = true;
    this.#waiting.add(slot);
    return false;
  }

  /** Queues one control reply; false (nothing queued) when the replies not yet written would pass `MAX_QUEUED`. */
  reply(text: string): boolean {
    if (this.#replyBytes + text.length > MAX_QUEUED) return false;
    this.#replyBytes += text.length;
    // Called once the reply is written out, or with an error when the socket closed first.
    this.#ws.send(text, () => (this.#replyBytes -= text.length));
    return true;
  }

  /** The slot is gone: it is not resumed. */
  forget(slot: WsSlot): void {
    this.#waiting.delete(slot);
  }

  #flushed(): void {
    this.#blocked = false;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const slot of waiting) if (!slot.closed) slot.handle?.resume();
  }
}

function frame(slot: WsSlot, entry: FeedEntry): string {
  return `${slot.prefix}${entry.position},"event":${entry.json}}`;
}

/**
 * Cuts a close reason to the 123 bytes of UTF-8 a close frame allows.
 *
 * @example
 * ```ts
 * socket.close(1013, closeReason(`herald: ${message}`));
 * ```
 */
export function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
