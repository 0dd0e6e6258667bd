import type { ServerResponse } from 'node:http';
import type { EndReason, FeedSubscription, LiveSink } from './feed-subscriber.js';
import type { FeedEntry } from './feed-entry.js';
import { expiryTimer, type CancelExpiry } from './expiry-timer.js';

/** Why an SSE response ended, as the metrics count it. */
export type SseCloseReason = 'normal' | 'slow' | 'expired' | 'shutdown' | 'error';

/** Options of one SSE client. */
export interface SseClientOptions {
  /** `event: <type>` on every event (`?named=true`); false (the default) leaves it out so `onmessage` gets them all. */
  named: boolean;
  retryMs: number;
  /** How long a finished response may take to flush before its socket is destroyed. */
  closeGraceMs: number;
  /**
   * When the caller's credentials expire (Unix ms; a JWT's `exp`): the response ends then, so the
   * client reconnects with a fresh token. Undefined: never.
   */
  expiresAt?: number;
  /**
   * Called once, when the client is gone for the hub: when the hub ends it (slow, error,
   * shutdown; its socket may still be flushing) or when the connection closes first.
   */
  onGone: (reason: SseCloseReason) => void;
}

/**
 * One `GET /v1/sse` response as the feed's sink: events are written as the frames the feed
 * serialized once (several at a time as one write), keep-alives carry the position the client
 * has reached, and every way it can end (slow, log failure, shutdown) says why in a comment
 * before the response ends.
 *
 * @example
 * ```ts
 * const client = new SseClient(reply.raw, { named: true, retryMs: 2_000, closeGraceMs: 5_000, onGone: (why) => console.log(why) });
 * client.attach(feed.subscribe({ after, patterns, principal, sink: client }));
 * ```
 */
export class SseClient implements LiveSink {
  readonly transport = 'sse';
  readonly #res: ServerResponse;
  readonly #options: SseClientOptions;
  #subscription: FeedSubscription | undefined;
  #blocked = false;
  #ended = false;
  #gone = false;
  #destroyTimer: NodeJS.Timeout | undefined;
  readonly #cancelExpiry: CancelExpiry;

  constructor(res: ServerResponse, options: SseClientOptions) {
    this.#res = res;
    this.#options = options;
    this.#cancelExpiry = expiryTimer(options.expiresAt, () => this.expire());
    res.on('drain', () => {
      this.#blocked = false;
      this.#subscription?.resume();
    });
    const socket = res.socket;
    res.once('close', () => {
      // A client that went away may leave the socket half-open (the hijacked request is never
      // read, so its end is never seen): it would hold the server's close forever.
      if (socket && !socket.destroyed) socket.destroy();
      clearTimeout(this.#destroyTimer);
      this.#cancelExpiry();
      this.#ended = true;
      this.#subscription?.close();
      this.#goneFor('normal');
    });
  }

  /** Connects the client to its place in the feed. */
  attach(subscription: FeedSubscription): void {
    this.#subscription = subscription;
    if (this.#ended) subscription.close();
  }

  write(entries: readonly FeedEntry[]): boolean {
    if (this.#ended) return true;
    // The hot path of fan-out: no closure per call, one write per batch.
    const named = this.#options.named;
    let ok: boolean;
    if (entries.length === 1) {
      const entry = entries[0]!;
      ok = this.#res.write(named ? entry.sse() : entry.ssePlain());
    } else {
      const frames: Buffer[] = new Array<Buffer>(entries.length);
      for (let i = 0; i < entries.length; i++) frames[i] = named ? entries[i]!.sse() : entries[i]!.ssePlain();
      ok = this.#res.write(Buffer.concat(frames));
    }
    this.#blocked = !ok;
    return ok;
  }

  /**
   * A comment that keeps proxies from timing the stream out, with an `id:` of the position the
   * client has reached (events it is not sent included), so a reconnect does not read them again.
   */
  keepAlive(): void {
    if (this.#ended || this.#blocked) return;
    const position = this.#subscription?.position;
    this.#res.write(position === undefined ? ': keep-alive\n\n' : `: keep-alive\nid: ${position}\n\n`);
  }

  end(reason: EndReason, message: string): void {
    if (reason === 'slow') {
      this.#finish('slow', `: herald: disconnected, ${message}; reconnect with Last-Event-ID\n\n`);
    } else {
      this.#finish(
        'error',
        `retry: ${this.#retry()}\n: herald: ${message}; reconnect with Last-Event-ID\n\n`,
      );
    }
  }

  /** The hub is stopping: the client is told when to come back. */
  shutdown(): void {
    this.#finish(
      'shutdown',
      `retry: ${this.#retry()}\n: herald: the hub is shutting down; reconnect with Last-Event-ID\n\n`,
    );
  }

  /**
   * The caller's credentials expired: no more events; the client is told to reconnect with a
   * fresh token (the retry delay stands, so a browser comes back and is asked for one).
   */
  expire(): void {
    this.#finish(
      'expired',
      `: herald: the credentials expired; reconnect with a fresh token and Last-Event-ID\n\n`,
    );
  }

  /** Resolves once the response has closed. */
  closed(): Promise<void> {
    if (this.#res.closed) return Promise.resolve();
    return new Promise((resolve) => this.#res.once('close', () => resolve()));
  }

  /** Cuts the connection at once (a shutdown deadline passed). */
  destroy(): void {
    this.#res.destroy();
  }

  #finish(reason: SseCloseReason, text: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#cancelExpiry();
    this.#subscription?.close();
    this.#goneFor(reason);
    const socket = this.#res.socket;
    // The client comes back with a new request: the connection is not kept for reuse.
    this.#res.once('finish', () => socket?.end());
    this.#res.end(text);
    // A client that stopped reading would hold the buffered frames (and the server) forever.
    this.#destroyTimer = setTimeout(() => this.#res.destroy(), this.#options.closeGraceMs).unref();
  }

  #goneFor(reason: SseCloseReason): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#options.onGone(reason);
  }

  /** Reconnections after a restart are spread over [retryMs, 2 x retryMs) so they do not all land at once. */
  #retry(): number {
    return this.#options.retryMs + Math.floor(Math.random() * this.#options.retryMs);
  }
}
