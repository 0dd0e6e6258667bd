import type { Delivery } from './delivery.js';

/** A subscription as the pump sees it. */
export interface PumpTarget {
  /** Runs the subscription's own queue while it has free workers. */
  pump(): void;
  /** Takes a delivery from the shared queue: starts it, or queues it behind the subscription's backlog. */
  take(delivery: Delivery): void;
}

/**
 * One microtask for all of a broker's subscriptions. A publisher hands each delivery either to the
 * pump's shared FIFO (the common case: normal priority, nothing queued at the subscription) or to
 * the subscription's own priority queue, and then the subscription is scheduled here. At the next
 * microtask the pump runs the scheduled queues, then the shared FIFO in publish order, handing each
 * entry to its subscription. So a publish costs one ring slot, not a queue per subscription and a
 * microtask per subscription (which dominated when events fan out over many subscriptions).
 *
 * The shared FIFO is bounded by the subscriptions' own bounds: every entry counts against its
 * subscription's `maxQueue` until it is taken. Work queued while a flush runs (handlers publishing)
 * waits for the next microtask, so one flush does a bounded amount of work.
 */
export class Pump {
  // The shared FIFO: a power-of-two ring of (target, delivery) pairs in two parallel arrays.
  #targets: (PumpTarget | undefined)[] = new Array<PumpTarget | undefined>(64);
  #deliveries: (Delivery | undefined)[] = new Array<Delivery | undefined>(64);
  #head = 0;
  #count = 0;
  #ready: PumpTarget[] = [];
  #spare: PumpTarget[] = [];
  #armed = false;

  /** Queues `target.pump()` for the next microtask. */
  schedule(target: PumpTarget): void {
    this.#ready.push(target);
    this.#arm();
  }

  /** Queues `delivery` in the shared FIFO, to be handed to `target.take` at the next microtask. */
  deliver(target: PumpTarget, delivery: Delivery): void {
    if (this.#count === this.#targets.length) this.#grow();
    const at = (this.#head + this.#count) & (this.#targets.length - 1);
    this.#targets[at] = target;
    this.#deliveries[at] = delivery;
    this.#count++;
    this.#arm();
  }

  /** Removes and returns the deliveries waiting in the shared FIFO for `target` (a close deadline). */
  withdraw(target: PumpTarget): Delivery[] {
    const out: Delivery[] = [];
    const mask = this.#targets.length - 1;
    for (let i = 0; i < this.#count; i++) {
      const at = (this.#head + i) & mask;
      if (this.#targets[at] !== target) continue;
      out.push(this.#deliveries[at]!);
      this.#targets[at] = undefined; // the slot stays; the flush skips it
      this.#deliveries[at] = undefined;
    }
    return out;
  }

  #arm(): void {
    if (this.#armed) return;
    this.#armed = true;
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#armed = false;
    const ready = this.#ready;
    if (ready.length > 0) {
      this.#ready = this.#spare;
      for (let i = 0; i < ready.length; i++) ready[i]!.pump();
      ready.length = 0;
      this.#spare = ready;
    }
    const targets = this.#targets;
    const deliveries = this.#deliveries;
    const mask = targets.length - 1;
    // Only what was queued before this flush: a take may queue more (into a grown ring even).
    for (let n = this.#count; n > 0 && this.#targets === targets; n--) {
      const at = this.#head;
      const target = targets[at];
      const delivery = deliveries[at];
      targets[at] = undefined;
      deliveries[at] = undefined;
      this.#head = (at + 1) & mask;
      this.#count--;
      if (target !== undefined) target.take(delivery!);
    }
    if (this.#count > 0) this.#arm();
  };

  #grow(): void {
    const size = this.#targets.length;
    const targets = new Array<PumpTarget | undefined>(size * 2);
    const deliveries = new Array<Delivery | undefined>(size * 2);
    for (let i = 0; i < this.#count; i++) {
      const at = (this.#head + i) & (size - 1);
      targets[i] = this.#targets[at];
      deliveries[i] = this.#deliveries[at];
    }
    this.#targets = targets;
    this.#deliveries = deliveries;
    this.#head = 0;
  }
}
