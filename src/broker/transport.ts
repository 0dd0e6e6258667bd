import type { HeraldEvent } from '../event/types.js';

/**
 * What crosses a transport: an event and the broker instance that sent it. `origin` lets a broker
 * drop its own echo (Redis pub/sub and core NATS both deliver a message to its sender's
 * subscriptions too).
 */
export interface TransportMessage {
  /** The sending broker's instance id (random per `createBroker`). */
  readonly origin: string;
  readonly event: HeraldEvent;
}

/** What `EventTransport.subscribe` returns: stops delivery to that callback. */
export type TransportUnsubscribe = () => Promise<void>;

/**
 * Request/reply across instances, for transports that have it natively (core NATS: a request on
 * `<prefix>.<type>` with a reply inbox, responders in queue groups, "no responders" status). A
 * transport without it (Redis pub/sub) leaves `requests` undefined and the broker answers requests
 * in-process only.
 */
export interface RequestTransport {
  /**
   * Sends `event` to one responder (one per queue group is the transport's business) and resolves
   * with the first reply. Rejects with `NO_RESPONDERS` when nobody listens, `REQUEST_TIMEOUT` after
   * `timeoutMs`, or `HANDLER_FAILED` when the responder answered with a failure.
   */
  request(event: HeraldEvent, timeoutMs: number): Promise<unknown>;
  /**
   * Answers requests whose type matches `pattern` with `handler`'s value (a rejection is sent back
   * as a failure). With `group`, instances with the same group share the requests.
   */
  respond(
    pattern: string,
    options: { group?: string },
    handler: (event: HeraldEvent) => Promise<unknown>,
  ): TransportUnsubscribe;
}

/**
 * Carries a broker's ephemeral events to the other instances of a service and theirs back:
 * `createBroker({ transport })`. At-most-once: an instance that is disconnected misses what is
 * sent meanwhile. Implemented by `redisTransport` (`herald/redis`) and `memoryTransportHub` (tests).
 *
 * A transport must be bounded: `publish` rejects (with `TRANSPORT_UNAVAILABLE` when the server
 * cannot be reached, `QUEUE_FULL` past its bound of sends in flight) instead of buffering without
 * limit, so a publisher always learns that an event did not leave.
 *
 * @example
 * ```ts
 * import { createBroker } from 'herald';
 * import { redisTransport } from 'herald/redis';
 *
 * const broker = createBroker({ transport: redisTransport({ url: 'redis://127.0.0.1:6379', prefix: 'shop' }) });
 * broker.subscribe('cursor.moved', (e) => console.log('from any instance', e.data));
 * await broker.publish('cursor.moved', { x: 1, y: 2 });
 * ```
 */
export interface EventTransport {
  /** Sends to every instance (this one included: its echo is dropped by `origin`). */
  publish(message: TransportMessage): Promise<void>;
  /**
   * Calls `onMessage` for every message sent by any instance, in the order the server relays them.
   * `onError` is told of messages that could not be decoded. Resolves once the subscription is
   * active on the server.
   */
  subscribe(
    onMessage: (message: TransportMessage) => void,
    onError?: (error: unknown) => void,
  ): Promise<TransportUnsubscribe>;
  /** Present when the transport carries request/reply too (core NATS). */
  readonly requests?: RequestTransport;
  /** Closes what the transport opened (not a client it was given). */
  close(): Promise<void>;
}
