import { createInbox } from '@nats-io/transport-node';

/** One call waiting for its reply. */
export interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
}

/**
 * Calls waiting for replies on one inbox: each gets a token (its reply subject is
 * `<inbox>.<token>`), one timer rejects those past their deadline with a `TimeoutError`, and all
 * can be failed at once (the connection dropped, the log closed). The owner subscribes to
 * `<inbox>.*` and hands each reply's subject to `take`. Shared by the publisher (JetStream's
 * publish acks) and the ack batcher (ack confirmations). Internal.
 *
 * @example
 * ```ts
 * const waiters = new ReplyWaiters<void>(5_000, 'the ack was not confirmed');
 * nc.subscribe(`${waiters.inbox}.*`, { callback: (_e, m) => waiters.take(m.subject)?.resolve() });
 * await waiters.wait((reply) => nc.publish(subject, data, { reply }));
 * ```
 */
export class ReplyWaiters<T> {
  readonly inbox = createInbox();
  readonly #timeoutMs: number;
  readonly #what: string;
  readonly #waiting = new Map<number, Waiter<T>>();
  #next = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `what` names what did not come, in the timeout's message. */
  constructor(timeoutMs: number, what: string) {
    this.#timeoutMs = timeoutMs;
    this.#what = what;
  }

  /** Sends with a fresh reply subject (`send` may throw: the promise then rejects) and waits. */
  wait(send: (reply: string) => void): Promise<T> {
    const token = this.#next++;
    return new Promise<T>((resolve, reject) => {
      try {
        send(`${this.inbox}.${token}`);
      } catch (error) {
        reject(error);
        return;
      }
      this.#waiting.set(token, { resolve, reject, deadline: Date.now() + this.#timeoutMs });
      this.#timer ??= setTimeout(() => this.#expire(), this.#timeoutMs);
    });
  }

  /** The waiter a reply on `subject` is for, taken out; undefined when it already timed out. */
  take(subject: string): Waiter<T> | undefined {
    const token = Number(subject.slice(this.inbox.length + 1));
    const waiter = this.#waiting.get(token);
    if (waiter !== undefined) this.#waiting.delete(token);
    return waiter;
  }

  /** Rejects every call still waiting; their replies, if any come, are ignored. */
  failAll(error: unknown): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiter of waiting) waiter.reject(error);
  }

  /** The one timer: rejects what waited past its deadline, and comes back for the rest. */
  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (const [token, waiter] of this.#waiting) {
      if (waiter.deadline <= now) {
        this.#waiting.delete(token);
        waiter.reject(
          Object.assign(new Error(`timeout: ${this.#what} within ${this.#timeoutMs} ms`), {
            name: 'TimeoutError',
          }),
        );
      } else next = Math.min(next, waiter.deadline);
    }
    if (next !== Infinity) this.#timer = setTimeout(() => this.#expire(), Math.max(1, next - now));
  }
}
