import { randomBytes } from 'node:crypto';
import type { GroupDelivery } from '../../log/types.js';

/** One delivery handed out over HTTP, held until it is settled, expires, or is pushed out. */
export interface HeldDelivery {
  readonly group: string;
  /** The principal that pulled it: only it may settle it. */
  readonly holder: string;
  readonly delivery: GroupDelivery;
  /** When the group's ack wait runs out (ms since the epoch): after it the event is redelivered anyway. */
  readonly expiresAt: number;
}

/** What `claim` finds for a receipt. */
export type Lookup =
  | { readonly found: true; readonly held: HeldDelivery }
  | { readonly found: false; readonly status: 'unknown' | 'expired' };

/** Options of `ReceiptBook`. */
export interface ReceiptBookOptions {
  /** Receipts held at most; past it the oldest are forgotten (default 100,000). */
  maxReceipts?: number;
  /** Called with how many receipts were forgotten because the book was full. */
  onEvicted?: (count: number) => void;
  /** The clock (tests). */
  now?: () => number;
}

/** How often expired receipts are swept out (they are also refused when looked up). */
const SWEEP_MS = 1_000;
/** How long a swept receipt still answers `expired` rather than `unknown`. */
const EXPIRED_KEPT_MS = 10 * 60_000;

/**
 * The receipts a hub issued for group deliveries pulled over HTTP: opaque random strings, each
 * standing for one `GroupDelivery` object of this process. Bounded: past `maxReceipts` the
 * oldest receipts are forgotten (their events are redelivered after the group's ack wait, as for
 * a consumer that never answered: at-least-once), and a receipt is forgotten once its ack wait
 * has passed (the event is being redelivered, possibly to another member). A receipt lives only
 * in the hub that issued it.
 *
 * @example
 * ```ts
 * const book = new ReceiptBook({ maxReceipts: 10_000 });
 * const receipt = book.issue({ group: 'mailer', holder: 'anonymous', delivery, expiresAt: Date.now() + 30_000 });
 * const found = book.claim(receipt, 'mailer', 'anonymous'); // then settle found.held.delivery
 * ```
 */
export class ReceiptBook {
  readonly maxReceipts: number;
  // A Map keeps insertion order: its first entries are the oldest receipts.
  readonly #held = new Map<string, HeldDelivery>();
  // Receipts swept after their ack wait, so a late settle still hears `expired`: who held them
  // and until when they are kept. Insertion order is sweep order; bounded like `#held`.
  readonly #expired = new Map<string, { group: string; holder: string; until: number }>();
  readonly #onEvicted: (count: number) => void;
  readonly #now: () => number;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(options: ReceiptBookOptions = {}) {
    this.maxReceipts = options.maxReceipts ?? 100_000;
    this.#onEvicted = options.onEvicted ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  /** Receipts held now. */
  get size(): number {
    return this.#held.size;
  }

  /** Holds a delivery and returns its new receipt, forgetting the oldest receipt when full. */
  issue(held: HeldDelivery): string {
    let evicted = 0;
    while (this.#held.size >= this.maxReceipts) {
      const oldest = this.#held.keys().next();
      if (oldest.done === true) break;
      this.#held.delete(oldest.value);
      evicted++;
    }
    if (evicted > 0) this.#onEvicted(evicted);
    const receipt = randomBytes(18).toString('base64url');
    this.#held.set(receipt, held);
    this.#sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return receipt;
  }

  /**
   * Takes the delivery of a receipt out of the book, if it was issued here for this group and
   * holder and has not expired (`restore` puts it back when settling it failed). A receipt of
   * another group or holder is `unknown`: nothing is revealed about it.
   */
  claim(receipt: string, group: string, holder: string): Lookup {
    const held = this.#held.get(receipt);
    if (held === undefined || held.group !== group || held.holder !== holder) {
      const gone = held === undefined ? this.#expired.get(receipt) : undefined;
      if (gone !== undefined && gone.group === group && gone.holder === holder) {
        this.#expired.delete(receipt); // settled once: a repeat is `unknown`
        return { found: false, status: 'expired' };
      }
      return { found: false, status: 'unknown' };
    }
    this.#held.delete(receipt);
    if (held.expiresAt <= this.#now()) return { found: false, status: 'expired' };
    return { found: true, held };
  }

  /** Puts back a claimed receipt (settling it failed; the client may try again). */
  restore(receipt: string, held: HeldDelivery): void {
    if (held.expiresAt > this.#now()) this.#held.set(receipt, held);
  }

  /** How many unexpired receipts of `group` each holder has (one pass over the book). */
  heldBy(group: string): Map<string, number> {
    const now = this.#now();
    const counts = new Map<string, number>();
    for (const held of this.#held.values()) {
      if (held.group === group && held.expiresAt > now)
        counts.set(held.holder, (counts.get(held.holder) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * Moves every receipt whose ack wait has passed to the expired ones (kept `EXPIRED_KEPT_MS`, at
   * most `maxReceipts`), and forgets expired ones past that.
   */
  sweep(): void {
    const now = this.#now();
    for (const [receipt, held] of this.#held) {
      if (held.expiresAt > now) continue;
      this.#held.delete(receipt);
      this.#expired.set(receipt, { group: held.group, holder: held.holder, until: now + EXPIRED_KEPT_MS });
    }
    for (const [receipt, gone] of this.#expired) {
      if (gone.until > now && this.#expired.size <= this.maxReceipts) break;
      this.#expired.delete(receipt);
    }
    if (this.#held.size === 0 && this.#expired.size === 0) this.#sweeper = stop(this.#sweeper);
  }

  /** Forgets everything and stops the sweeper (the hub is closing). */
  clear(): void {
    this.#held.clear();
    this.#expired.clear();
    this.#sweeper = stop(this.#sweeper);
  }
}

function stop(timer: NodeJS.Timeout | undefined): undefined {
  clearInterval(timer);
  return undefined;
}
