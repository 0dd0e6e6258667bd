import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { deliveryInfo } from './pull-request.js';

interface Waiting {
  readonly messages: Msg[];
  readonly settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Acks of one connection, confirmed together: the acks made in one turn of the event loop for
 * one consumer go out as plain publishes except the last, which is a request; JetStream handles
 * a consumer's acks in the order they arrive, so the reply to the last confirms them all. Every
 * `ack` resolves once the server confirmed it (so `info()` right after shows it), at the cost
 * of one round trip per batch instead of one per ack. Internal.
 *
 * @example
 * ```ts
 * const acks = new AckBatcher(nc);
 * await Promise.all(messages.map((m) => acks.ack(m)));
 * ```
 */
export class AckBatcher {
  readonly #nc: NatsConnection;
  readonly #waiting = new Map<string, Waiting>();
  #scheduled = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  ack(m: Msg): Promise<void> {
    const key = deliveryInfo(m.reply!).consumer;
    let waiting = this.#waiting.get(key);
    if (waiting === undefined) this.#waiting.set(key, (waiting = { messages: [], settle: [] }));
    waiting.messages.push(m);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return new Promise((resolve, reject) => waiting.settle.push({ resolve, reject }));
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { messages, settle } of batches) {
      try {
        for (const m of messages.slice(0, -1)) this.#nc.publish(m.reply!, '+ACK');
      } catch (err) {
        for (const s of settle) s.reject(err);
        continue;
      }
      this.#nc.request(messages.at(-1)!.reply!, '+ACK', { timeout: 5_000 }).then(
        () => settle.forEach((s) => s.resolve()),
        (err: unknown) => settle.forEach((s) => s.reject(err)),
      );
    }
  }
}
