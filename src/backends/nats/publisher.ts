import { JetStreamApiError, PubHeaders, type PubAck } from '@nats-io/jetstream';
import {
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { ReplyWaiters } from './reply-waiters.js';

/** What one JetStream publish asks for, beyond its subject and payload. */
export interface PublishOptions {
  /** `Nats-Msg-Id`: JetStream drops a repeat within its duplicate window. */
  readonly msgID: string;
  /** `Nats-Expected-Last-Sequence`: stored only if the stream's last sequence is this. */
  readonly lastSequence?: number;
  /** `Nats-Expected-Last-Msg-Id`: stored only if the stream's last message has this id. */
  readonly lastMsgID?: string;
  /** More headers (the log's own); the ones above are added to them. */
  readonly headers?: MsgHdrs;
}

const decoder = new TextDecoder();

/**
 * JetStream publishes of one connection, their acks read from one wildcard inbox subscription:
 * `<inbox>.<n>` is the reply subject of the n-th. What `js.publish` does per message (a request
 * with its own timer, and two `Error`s built for every request by nats.js) is here one map entry;
 * one timer serves every publish waiting. An ack is the server's `PubAck`; a JetStream error
 * rejects with the `JetStreamApiError` `js.publish` would throw (its `code` the API's
 * `err_code`); no JetStream answering (status 503) and no answer within `timeoutMs` reject with
 * errors named so. Internal.
 *
 * @example
 * ```ts
 * const publisher = new Publisher(nc, 5_000);
 * const ack = await publisher.publish('shop.order.created', bytes, { msgID: event.id, lastSequence: 41 });
 * ack.seq; // 42
 * ```
 */
export class Publisher {
  readonly #nc: NatsConnection;
  readonly #waiters: ReplyWaiters<PubAck>;
  readonly #sub: Subscription;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#waiters = new ReplyWaiters<PubAck>(timeoutMs, 'no ack');
    this.#sub = nc.subscribe(`${this.#waiters.inbox}.*`, { callback: (_error, m) => this.#answer(m) });
  }

  /** Publishes one message; resolves with JetStream's ack. */
  publish(subject: string, data: Uint8Array, options: PublishOptions): Promise<PubAck> {
    const h = options.headers ?? headers();
    h.set(PubHeaders.MsgIdHdr, options.msgID);
    if (options.lastSequence !== undefined)
      h.set(PubHeaders.ExpectedLastSeqHdr, String(options.lastSequence));
    if (options.lastMsgID !== undefined) h.set(PubHeaders.ExpectedLastMsgIdHdr, options.lastMsgID);
    return this.#waiters.wait((reply) => this.#nc.publish(subject, data, { reply, headers: h }));
  }

  /**
   * Fails every publish still waiting for its ack (the connection dropped: their acks will not
   * come, so waiting out the timeout only holds up the appends behind them).
   */
  failWaiting(error: unknown): void {
    this.#waiters.failAll(error);
  }

  /** Rejects every publish still waiting (the log is closing); later answers are ignored. */
  close(error: unknown): void {
    this.#sub.unsubscribe();
    this.#waiters.failAll(error);
  }

  #answer(m: Msg): void {
    const waiting = this.#waiters.take(m.subject);
    if (waiting === undefined) return; // answered after its timeout
    if (m.headers?.code === 503) {
      waiting.reject(
        Object.assign(new Error('no responders: no JetStream stream takes the subject'), {
          name: 'NoResponders',
        }),
      );
      return;
    }
    try {
      // JetStream leaves `duplicate` out when it is false.
      const reply = JSON.parse(decoder.decode(m.data)) as Omit<PubAck, 'duplicate'> & {
        duplicate?: boolean;
        error?: { code: number; err_code: number; description: string };
      };
      if (reply.error !== undefined) waiting.reject(new JetStreamApiError(reply.error));
      else waiting.resolve({ ...reply, duplicate: reply.duplicate === true });
    } catch (error) {
      waiting.reject(error);
    }
  }
}
