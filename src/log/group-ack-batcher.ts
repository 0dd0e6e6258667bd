/**
 * Group acks issued together share one call to the backend (PostgreSQL: one statement and one
 * commit; Redis: one script call): a member acking a pulled batch with `Promise.all` pays one
 * round trip, not one per delivery. Acks queue until the code that issued them and the microtasks
 * already queued have run (a `queueMicrotask`, so no turn of the event loop is lost), then go out
 * as one call with the (group, position) pairs as arrays; each caller's promise settles with that
 * call.
 *
 * @example
 * ```ts
 * const acks = new AckBatcher((groups, positions) => run('ack-pending', [groups, positions]));
 * await Promise.all(deliveries.map((d) => acks.ack(groupId, d.event.position)));
 * ```
 */
export class AckBatcher {
  readonly #run: (groups: number[], positions: number[]) => Promise<unknown>;
  #groups: number[] = [];
  #positions: number[] = [];
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #scheduled = false;
  #inFlight = new Set<Promise<void>>();

  constructor(run: (groups: number[], positions: number[]) => Promise<unknown>) {
    this.#run = run;
  }

  /** Resolves once the ack is stored. */
  ack(group: number, position: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#groups.push(group);
      this.#positions.push(position);
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  /** Resolves once every ack issued so far has settled. */
  async close(): Promise<void> {
    while (this.#scheduled || this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight, new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const groups = this.#groups;
    const positions = this.#positions;
    const waiters = this.#waiters;
    this.#groups = [];
    this.#positions = [];
    this.#waiters = [];
    const done = this.#run(groups, positions).then(
      () => {
        for (const waiter of waiters) waiter.resolve();
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }
}
