import type { Msg, NatsConnection } from '@nats-io/transport-node';

/** `+ACK`, encoded once. */
const ACK = new TextEncoder().encode('+ACK');

interface Waiting {
  readonly messages: Msg[];
  readonly settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Acks of one connection, confirmed together: the acks made together (until a queued microtask) for
 * one consumer go out as plain publishes except the last, which is a request; JetStream handles
 * a consumer's acks in the order they arrive, so the reply to the last confirms them all. Every
 * `ack` resolves once the server confirmed it (so `info()` right after shows it), at the cost
 * of one round trip per batch instead of one per ack. Internal.
 *
 * @example
 * ```ts
 * const acks = new AckBatcher(nc);
 * await Promise.all(messages.map((m) => acks.ack(m, deliveryInfo(m.reply!).consumer)));
 * ```
 */
export class AckBatcher {
  readonly #nc: NatsConnection;
  readonly #waiting = new Map<string, Waiting>();
  #scheduled = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** `consumer`: the message's `DeliveryInfo.consumer`, whose acks are confirmed together. */
  ack(m: Msg, consumer: string): Promise<void> {
    const key = consumer;
    let waiting = this.#waiting.get(key);
    if (waiting === undefined) this.#waiting.set(key, (waiting = { messages: [], settle: [] }));
    waiting.messages.push(m);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return new Promise((resolve, reject) => waiting.settle.push({ resolve, reject }));
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { messages, settle } of batches) {
      try {
        for (let i = 0; i < messages.length - 1; i++) this.#nc.publish(messages[i]!.reply!, ACK);
      } catch (err) {
        for (const s of settle) s.reject(err);
        continue;
      }
      this.#nc.request(messages.at(-1)!.reply!, ACK, { timeout: 5_000 }).then(
        () => settle.forEach((s) => s.resolve()),
        (err: unknown) => settle.forEach((s) => s.reject(err)),
      );
    }
  }
}
