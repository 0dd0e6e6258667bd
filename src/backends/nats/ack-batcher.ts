import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ReplyWaiters } from './reply-waiters.js';

/** `+ACK`, encoded once. */
const ACK = new TextEncoder().encode('+ACK');
/** How long an ack waits for the server's confirmation. */
const ACK_TIMEOUT_MS = 5_000;

/**
 * Acks of one connection, each confirmed on its own: every `+ACK` goes out with a reply subject
 * on one inbox subscription of this object, and an `ack` resolves once the server answered that
 * one (so `info()` right after shows it). One subscription and one timer serve every ack in
 * flight (see `ReplyWaiters`), where a `request` per ack made its own timer and waiter.
 *
 * Confirming a batch of plain-published acks by the reply to its last one was cheaper again, but
 * a publish lost with a dying connection was then reported acked while the request after it, sent
 * on the new connection, was answered: the event came back after its ack wait (measured: 4 of 5,
 * `test/nats-lost-acks.test.ts`). Internal.
 *
 * @example
 * ```ts
 * const acks = new AckBatcher(nc);
 * await Promise.all(messages.map((m) => acks.ack(m)));
 * acks.close(new Error('closed'));
 * ```
 */
export class AckBatcher {
  readonly #nc: NatsConnection;
  readonly #waiters = new ReplyWaiters<void>(ACK_TIMEOUT_MS, 'the ack was not confirmed');
  #sub: Subscription | undefined;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** Acks `m`; resolves once the server confirmed this ack. */
  ack(m: Msg): Promise<void> {
    this.#sub ??= this.#nc.subscribe(`${this.#waiters.inbox}.*`, {
      callback: (_error, reply) => this.#waiters.take(reply.subject)?.resolve(),
    });
    return this.#waiters.wait((reply) => this.#nc.publish(m.reply!, ACK, { reply }));
  }

  /** Fails the acks still waiting (the connection dropped: their confirmations will not come). */
  failWaiting(error: unknown): void {
    this.#waiters.failAll(error);
  }

  /** Fails the acks still waiting and drops the subscription (the log is closing). */
  close(error: unknown): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    this.#waiters.failAll(error);
  }
}
