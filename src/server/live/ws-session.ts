import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from '@fastify/websocket';
import type { RawData } from 'ws';
import { HeraldError } from '../../errors/herald-error.js';
import { readPatterns, type Principal } from '../auth/principal.js';
import type { HubContext } from '../hub-context.js';
import type { EndReason, LiveSink } from './feed-subscriber.js';
import type { LiveFeed } from './live-feed.js';
import type { ResolvedLiveOptions } from './live-options.js';
import { resolveStart } from './start-position.js';
import {
  echoOf,
  parseClientMessage,
  type Echo,
  type PublishMessage,
  type SubscribeMessage,
} from './ws-messages.js';
import { closeReason, MAX_QUEUED, WsOutbox, wsSlot, type WsSlot } from './ws-outbox.js';
import { publishMessage } from './ws-publish.js';
import { TokenBucket } from './token-bucket.js';
import { expiryTimer, type CancelExpiry } from './expiry-timer.js';

/** What a session needs from the hub. */
export interface WsSessionDeps {
  ctx: HubContext;
  feed: LiveFeed;
  options: ResolvedLiveOptions;
  principal: Principal;
  logger: FastifyBaseLogger;
  /**
   * Called once, when the socket is gone for the hub: when the hub closes it (slow, error,
   * shutdown, dead peer; the close handshake may still be running) or when it closes first.
   */
  onGone: (reason: WsCloseReason) => void;
}

/**
 * Why a socket closed, as the metrics count it: `slow` when it fell behind or left its replies
 * unread, `limit` when it sent too many messages, `expired` when its credentials expired.
 */
export type WsCloseReason = 'normal' | 'slow' | 'limit' | 'expired' | 'shutdown' | 'error';

/**
 * One `GET /v1/ws` connection: its subscriptions (each a client of the shared feed), its
 * publishes, and its health. Everything it sends goes through the socket's outbox: events pause
 * while the socket is full, so a slow socket holds cursors, not memory, until the feed ends it as
 * slow; a control reply (`subscribed`, `ack`, `error`) that finds `MAX_QUEUED` bytes unread
 * closes the socket with 1013. Messages past `maxMessagesPerSecond` close it with 1008. Once
 * closing, the socket's messages are ignored.
 *
 * @example
 * ```ts
 * app.get('/v1/ws', { websocket: true }, (socket, request) => {
 *   const deps = { ctx, feed, options, principal: request.principal, logger: request.log };
 *   new WsSession(socket, { ...deps, onGone: (reason) => console.log('gone', reason) });
 * });
 * ```
 */
export class WsSession {
  readonly #ws: WebSocket;
  readonly #deps: WsSessionDeps;
  readonly #slots = new Map<string, WsSlot>();
  readonly #outbox: WsOutbox;
  readonly #bucket: TokenBucket;
  readonly #cancelExpiry: CancelExpiry;
  #inFlight = 0;
  #alive = true;
  #closed = false;
  #gone = false;
  #killTimer: NodeJS.Timeout | undefined;
  readonly #closedPromise: Promise<void>;

  constructor(ws: WebSocket, deps: WsSessionDeps) {
    this.#ws = ws;
    this.#deps = deps;
    this.#outbox = new WsOutbox(ws);
    const rate = deps.options.maxMessagesPerSecond;
    this.#bucket = new TokenBucket(rate, rate);
    ws.on('message', (data) => this.#onMessage(data));
    ws.on('pong', () => (this.#alive = true));
    // A socket lives no longer than its credentials: 4401 (as HTTP's 401) at a JWT's `exp`.
    this.#cancelExpiry = expiryTimer(deps.principal.expiresAt, () =>
      this.#kill('expired', 4401, 'herald: the credentials expired; reconnect with a fresh token'),
    );
    this.#closedPromise = new Promise((resolve) => {
      ws.once('close', () => {
        this.#onClose();
        resolve();
      });
    });
  }

  /** Resolves once the socket closed. */
  closed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Dead-peer check, every keep-alive interval: a socket that missed the last pong is cut. */
  ping(): void {
    if (this.#closed) return;
    if (!this.#alive) {
      this.#goneFor('error');
      this.#ws.terminate();
      return;
    }
    this.#alive = false;
    this.#ws.ping();
  }

  /** The hub is stopping: close code 1012 (service restart) tells the client to come back. */
  shutdown(): void {
    this.#kill('shutdown', 1012, 'herald: the hub is restarting; reconnect and resubscribe with lastEventId');
  }

  /** Cuts the connection at once (a shutdown deadline passed). */
  terminate(): void {
    this.#ws.terminate();
  }

  #onMessage(data: RawData): void {
    if (this.#closing) return;
    if (!this.#bucket.take()) {
      const rate = this.#deps.options.maxMessagesPerSecond;
      this.#kill('limit', 1008, `herald: more than ${rate} messages a second; slow down and reconnect`);
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(data).toString('utf8');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.#error(
        new HeraldError('INVALID_MESSAGE', `a message must be JSON: ${reason}`, {
          details: { field: 'message' },
        }),
        {},
      );
      return;
    }
    const echo = echoOf(raw);
    try {
      const message = parseClientMessage(raw);
      if (message.type === 'subscribe')
        this.#subscribe(message).catch((err: unknown) => this.#error(err, echo));
      else if (message.type === 'unsubscribe') this.#unsubscribe(message.id);
      else void this.#publish(message, echo);
    } catch (err) {
      this.#error(err, echo);
    }
  }

  async #subscribe(message: SubscribeMessage): Promise<void> {
    const { id } = message;
    const { ctx, feed, principal, options } = this.#deps;
    if (this.#slots.has(id)) {
      throw new HeraldError('INVALID_MESSAGE', `subscription "${id}" already exists on this socket`, {
        details: { field: 'id', value: id },
      });
    }
    if (this.#slots.size >= options.maxSubscriptions) {
      throw new HeraldError(
        'INVALID_MESSAGE',
        `a socket may hold ${options.maxSubscriptions} subscriptions`,
        {
          details: { field: 'id', limit: options.maxSubscriptions },
        },
      );
    }
    const slot = wsSlot(id);
    this.#slots.set(id, slot);
    try {
      const patterns = readPatterns(principal, message.patterns);
      const start = await resolveStart(ctx.log, feed.head, message);
      if (this.#closed) return;
      this.#send({
        type: 'subscribed',
        id,
        patterns: patterns ?? ['>'],
        after: start.after,
        ...(start.lost && { lost: start.lost }),
        ...(start.reset && { reset: start.reset }),
      });
      // Unsubscribed while starting: its reply waited for this one.
      if (slot.closed) return this.#send({ type: 'unsubscribed', id });
      slot.handle = feed.subscribe({ after: start.after, patterns, principal, sink: this.#sink(slot) });
    } catch (err) {
      if (this.#slots.get(id) === slot) this.#slots.delete(id);
      this.#error(err, { id });
      if (slot.closed) this.#send({ type: 'unsubscribed', id });
    }
  }

  #unsubscribe(id: string): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) {
      throw new HeraldError('SUBSCRIPTION_NOT_FOUND', `no subscription "${id}" on this socket`, {
        details: { id },
      });
    }
    slot.closed = true;
    slot.handle?.close();
    this.#slots.delete(id);
    this.#outbox.forget(slot);
    // A subscription still starting answers its subscribe first, then this (see #subscribe).
    if (slot.handle !== undefined) this.#send({ type: 'unsubscribed', id });
  }

  async #publish(message: PublishMessage, echo: Echo): Promise<void> {
    const ws = this.#ws;
    // Past the limit the socket is not read: the client's own TCP window slows it down.
    if (++this.#inFlight >= this.#deps.options.maxInFlight) ws.pause();
    try {
      this.#send(await publishMessage(this.#deps, message));
    } catch (err) {
      this.#error(err, echo.ref === undefined ? {} : { ref: echo.ref });
    } finally {
      if (--this.#inFlight < this.#deps.options.maxInFlight && ws.isPaused) ws.resume();
    }
  }

  #sink(slot: WsSlot): LiveSink {
    return {
      transport: 'ws',
      write: (entries) => this.#closing || this.#outbox.send(slot, entries),
      end: (reason, message) => this.#endFromFeed(reason, message),
    };
  }

  #endFromFeed(reason: EndReason, message: string): void {
    if (reason === 'slow') this.#kill('slow', 1013, `herald: ${message}; resubscribe with lastEventId`);
    else this.#kill('error', 1011, `herald: ${message}`);
  }

  /** True once the hub closes the socket or it closed. */
  get #closing(): boolean {
    return this.#closed || this.#killTimer !== undefined;
  }

  #kill(reason: WsCloseReason, code: number, text: string): void {
    if (this.#closing) return;
    this.#goneFor(reason);
    this.#stopSlots();
    this.#ws.close(code, closeReason(text));
    // A peer that never answers the close handshake is cut after the grace.
    this.#killTimer = setTimeout(() => this.#ws.terminate(), this.#deps.options.closeGraceMs).unref();
  }

  #onClose(): void {
    this.#closed = true;
    this.#cancelExpiry();
    clearTimeout(this.#killTimer);
    this.#stopSlots();
    this.#goneFor('normal');
  }

  /** The subscriptions leave the feed at once: a closing socket gets no more events. */
  #stopSlots(): void {
    for (const slot of this.#slots.values()) {
      slot.closed = true;
      slot.handle?.close();
    }
    this.#slots.clear();
  }

  #goneFor(reason: WsCloseReason): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#deps.onGone(reason);
  }

  #send(message: Record<string, unknown>): void {
    if (this.#closing) return;
    if (!this.#outbox.reply(JSON.stringify(message))) {
      this.#kill('slow', 1013, `herald: over ${MAX_QUEUED} bytes unread; read the socket and reconnect`);
    }
  }

  #error(err: unknown, echo: Echo): void {
    if (err instanceof HeraldError) {
      this.#send({ type: 'error', ...echo, code: err.code, message: err.message, details: err.details });
      return;
    }
    this.#deps.logger.error({ err }, 'unexpected error on a WebSocket');
    this.#send({
      type: 'error',
      ...echo,
      code: 'INTERNAL',
      message: 'internal error; see the server log',
      details: {},
    });
  }
}
