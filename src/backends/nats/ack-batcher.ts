import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** `+ACK`, encoded once. */
const ACK = new TextEncoder().encode('+ACK');
/** How long an ack waits for the server's confirmation. */
const ACK_TIMEOUT_MS = 5_000;

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
}

/**
 * Acks of one connection, each confirmed on its own: every `+ACK` goes out with a reply subject
 * on one inbox subscription of this object, and an `ack` resolves once the server answered that
 * one (so `info()` right after shows it). One subscription and one timer serve every ack in
 * flight, where a `request` per ack made its own timer and waiter.
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
  readonly #inbox = createInbox();
  #sub: Subscription | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** Acks `m`; resolves once the server confirmed this ack. */
  ack(m: Msg): Promise<void> {
    this.#sub ??= this.#nc.subscribe(`${this.#inbox}.*`, {
      callback: (_error, reply) => this.#answer(reply),
    });
    const token = this.#next++;
    return new Promise<void>((resolve, reject) => {
      try {
        this.#nc.publish(m.reply!, ACK, { reply: `${this.#inbox}.${token}` });
      } catch (error) {
        reject(error);
        return;
      }
      this.#waiting.set(token, { resolve, reject, deadline: Date.now() + ACK_TIMEOUT_MS });
      this.#timer ??= setTimeout(() => this.#expire(), ACK_TIMEOUT_MS);
    });
  }

  /** Fails the acks still waiting (the connection dropped: their confirmations will not come). */
  failWaiting(error: unknown): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(error);
  }

  /** Fails the acks still waiting and drops the subscription (the log is closing). */
  close(error: unknown): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }

  #answer(m: Msg): void {
    const token = Number(m.subject.slice(this.#inbox.length + 1));
    const waiting = this.#waiting.get(token);
    if (waiting === undefined) return; // answered after its timeout
    this.#waiting.delete(token);
    waiting.resolve();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (const [token, waiting] of this.#waiting) {
      if (waiting.deadline <= now) {
        this.#waiting.delete(token);
        waiting.reject(
          Object.assign(new Error(`timeout: the ack was not confirmed within ${ACK_TIMEOUT_MS} ms`), {
            name: 'TimeoutError',
          }),
        );
      } else next = Math.min(next, waiting.deadline);
    }
    if (next !== Infinity) this.#timer = setTimeout(() => this.#expire(), Math.max(1, next - now));
  }
}
