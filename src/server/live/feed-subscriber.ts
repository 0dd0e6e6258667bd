import type { Principal } from '../auth/principal.js';
import type { Transport } from '../metrics.js';
import type { EventFilter } from './event-filter.js';
import type { FeedEntry } from './feed-entry.js';

/** Why the feed stops serving a client: it fell too far behind, or the log tail failed. */
export type EndReason = 'slow' | 'error';

/**
 * Where the feed writes one client's events: an SSE response, or one subscription of a
 * WebSocket. Writes never wait; a full buffer is reported and the feed holds the client's
 * cursor until `resume()`.
 *
 * @example
 * ```ts
 * const sink: LiveSink = {
 *   transport: 'sse',
 *   write: (entries) => res.write(Buffer.concat(entries.map((e) => e.sse()))),
 *   end: (reason, message) => res.end(`: herald: ${message}\n\n`),
 * };
 * ```
 */
export interface LiveSink {
  readonly transport: Transport;
  /**
   * Writes these events, in order (the array is reused after the call: copy what you keep).
   * Returns false when the client's buffer is full: nothing more is written until `resume()`.
   */
  write(entries: readonly FeedEntry[]): boolean;
  /** The feed gave up on the client; `message` says why ("12000 events behind"). */
  end(reason: EndReason, message: string): void;
}

/** What `LiveFeed.subscribe` takes. */
export interface FeedSubscribeOptions {
  /** The last position the client has: it gets the events after it. */
  after: number;
  /** The client's patterns (`undefined`: every type), already checked against its grants. */
  patterns: readonly string[] | undefined;
  principal: Principal;
  sink: LiveSink;
}

/**
 * One client's place in the feed.
 *
 * @example
 * ```ts
 * const subscription = feed.subscribe({ after: 0, patterns: ['orders.>'], principal, sink });
 * res.on('drain', () => subscription.resume());
 * res.on('close', () => subscription.close());
 * ```
 */
export interface FeedSubscription {
  /** The last position handed to the sink or passed over (not for this client). */
  readonly position: number;
  /** The client's buffer drained: write what it missed meanwhile. */
  resume(): void;
  /** The client went away: forget it. Idempotent. */
  close(): void;
}

/** Where a subscriber is: replaying from the log, following the ring, or waiting for a drain. */
export type SubscriberState = 'catching-up' | 'live' | 'blocked' | 'closed';

/**
 * The feed's record of one client. Internal to the live feed: transports see it as a
 * `FeedSubscription`.
 *
 * @example
 * ```ts
 * const subscriber = new Subscriber(options, accepts, (s) => feed.resume(s), (s) => feed.drop(s));
 * ```
 */
export class Subscriber implements FeedSubscription {
  state: SubscriberState = 'catching-up';
  position: number;
  /** The ring seq of the next entry to look at, once live. */
  nextSeq = 0;
  /** Resolves a catch-up waiting for a drain (or for close). */
  drained: (() => void) | undefined;
  readonly accepts: EventFilter;
  readonly options: FeedSubscribeOptions;
  readonly #onResume: (subscriber: Subscriber) => void;
  readonly #onClose: (subscriber: Subscriber) => void;

  constructor(
    options: FeedSubscribeOptions,
    accepts: EventFilter,
    onResume: (subscriber: Subscriber) => void,
    onClose: (subscriber: Subscriber) => void,
  ) {
    this.options = options;
    this.position = options.after;
    this.accepts = accepts;
    this.#onResume = onResume;
    this.#onClose = onClose;
  }

  get sink(): LiveSink {
    return this.options.sink;
  }

  resume(): void {
    this.#onResume(this);
  }

  close(): void {
    this.#onClose(this);
  }
}
