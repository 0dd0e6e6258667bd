import type { Transport } from '../metrics.js';

/** Seconds kept in the ring: one slot per second, the last hour. */
export const RING_SECONDS = 3_600;

/** Named types kept per second once that second is over (the busiest; the rest add up in `other`). */
export const TYPES_PER_SECOND = 32;

/** Distinct types counted by name during the current second; past this, the rest count as `other`. */
export const TYPES_OPEN_SECOND = 1_000;

/** Named types a `rates()` reply lists, the busiest first. */
export const TOP_TYPES = 10;

/** Published and delivered counts of one type. */
export interface TypeCounts {
  published: number;
  delivered: number;
}

/** Per-second counts over a window, as `GET /v1/stats` answers them. */
export interface Rates {
  /** The unix second of the first element of `published` and `delivered`. */
  start: number;
  /** Events appended through this hub, one element per second, oldest first (the last is the current second). */
  published: number[];
  /** Events written to live clients (one per client per event), one element per second. */
  delivered: number[];
  /** The busiest types over the window that `visible` lets through (at most `TOP_TYPES`). */
  byType: Record<string, TypeCounts>;
}

/** The named types of a second that is over: parallel arrays, the busiest `TYPES_PER_SECOND`. */
interface ClosedSecond {
  readonly types: readonly string[];
  readonly published: readonly number[];
  readonly delivered: readonly number[];
}

/**
 * The hub's own per-second counts of events published (appended through this hub: HTTP ingest
 * and WebSocket publish) and delivered (written to live SSE and WebSocket clients), for the last
 * `RING_SECONDS` seconds, plus the live clients connected now. Kept in memory by one hub: it
 * starts empty at every start and knows nothing of other hubs on the same log.
 *
 * Bounds: the totals are fixed-size arrays of `RING_SECONDS` slots (a slot is reused when its
 * second comes round again, so an idle hour costs nothing more). Per-type counts are kept for the
 * second in progress up to `TYPES_OPEN_SECOND` distinct types (later new types of that second are
 * counted in the totals only); when the second is over, only its `TYPES_PER_SECOND` busiest types
 * (published + delivered) stay named in its slot, so the ring holds at most
 * `RING_SECONDS × TYPES_PER_SECOND` named counts. A type dropped this way is still in the totals.
 *
 * @example
 * ```ts
 * const stats = new HubStats();
 * stats.published('orders.created', 3);
 * stats.rates(60).published.at(-1); // 3
 * ```
 */
export class HubStats {
  readonly #now: () => number;
  readonly #startedAt: number;
  /** The unix second each slot holds, -1 for none. */
  readonly #second = new Float64Array(RING_SECONDS).fill(-1);
  readonly #published = new Float64Array(RING_SECONDS);
  readonly #delivered = new Float64Array(RING_SECONDS);
  readonly #named: (ClosedSecond | undefined)[] = new Array<ClosedSecond | undefined>(RING_SECONDS);
  /** The second whose per-type counts are open in `#open` (-1 before the first count). */
  #openSecond = -1;
  #open = new Map<string, TypeCounts>();
  readonly #clients: Record<Transport, number> = { sse: 0, ws: 0 };

  /** `now` returns milliseconds since the epoch (default `Date.now`); tests pass a fake clock. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  /** Milliseconds since this hub's stats were created (the hub's start). */
  uptimeMs(): number {
    return Math.max(0, this.#now() - this.#startedAt);
  }

  /** Live clients connected now, by transport. */
  clients(): Record<Transport, number> {
    return { ...this.#clients };
  }

  clientOpened(transport: Transport): void {
    this.#clients[transport]++;
  }

  clientClosed(transport: Transport): void {
    this.#clients[transport] = Math.max(0, this.#clients[transport] - 1);
  }

  /** Counts `count` events of `type` appended through the hub, now. */
  published(type: string, count = 1): void {
    this.#add(type, count, 'published');
  }

  /** Counts `count` writes of an event of `type` to live clients, now. */
  delivered(type: string, count = 1): void {
    this.#add(type, count, 'delivered');
  }

  /**
   * The last `seconds` seconds (1 to `RING_SECONDS`, the current one included), and the busiest
   * types among those `visible` accepts (default: all). Types it refuses are in the totals but
   * never named.
   */
  rates(seconds: number, visible: (type: string) => boolean = () => true): Rates {
    const span = Math.min(RING_SECONDS, Math.max(1, Math.floor(seconds)));
    const end = this.#current();
    const start = end - span + 1;
    const published: number[] = [];
    const delivered: number[] = [];
    const byType = new Map<string, TypeCounts>();
    const add = (type: string, p: number, d: number): void => {
      const counts = byType.get(type);
      if (counts === undefined) byType.set(type, { published: p, delivered: d });
      else {
        counts.published += p;
        counts.delivered += d;
      }
    };
    for (let s = start; s <= end; s++) {
      const slot = this.#slot(s);
      const held = s >= 0 && this.#second[slot] === s;
      published.push(held ? this.#published[slot]! : 0);
      delivered.push(held ? this.#delivered[slot]! : 0);
      if (!held) continue;
      if (s === this.#openSecond) {
        for (const [type, c] of this.#open) add(type, c.published, c.delivered);
        continue;
      }
      const named = this.#named[slot];
      if (named === undefined) continue;
      for (let i = 0; i < named.types.length; i++)
        add(named.types[i]!, named.published[i]!, named.delivered[i]!);
    }
    const top = [...byType]
      .filter(([type]) => visible(type))
      .sort((a, b) => b[1].published + b[1].delivered - (a[1].published + a[1].delivered))
      .slice(0, TOP_TYPES);
    return { start, published, delivered, byType: Object.fromEntries(top) };
  }

  /** The current unix second; never earlier than a second already counted (clocks may step back). */
  #current(): number {
    return Math.max(Math.floor(this.#now() / 1000), this.#openSecond);
  }

  #slot(second: number): number {
    return ((second % RING_SECONDS) + RING_SECONDS) % RING_SECONDS;
  }

  #add(type: string, count: number, key: keyof TypeCounts): void {
    if (!(count > 0)) return;
    const second = this.#current();
    if (second !== this.#openSecond) this.#roll(second);
    const slot = this.#slot(second);
    if (key === 'published') this.#published[slot]! += count;
    else this.#delivered[slot]! += count;
    let counts = this.#open.get(type);
    if (counts === undefined) {
      if (this.#open.size >= TYPES_OPEN_SECOND) return; // counted in the totals only
      this.#open.set(type, (counts = { published: 0, delivered: 0 }));
    }
    counts[key] += count;
  }

  /** Closes the open second (keeping its busiest types) and clears the slot of `second`. */
  #roll(second: number): void {
    if (this.#openSecond >= 0) {
      const kept = [...this.#open]
        .sort((a, b) => b[1].published + b[1].delivered - (a[1].published + a[1].delivered))
        .slice(0, TYPES_PER_SECOND);
      this.#named[this.#slot(this.#openSecond)] =
        kept.length === 0
          ? undefined
          : {
              types: kept.map(([type]) => type),
              published: kept.map(([, c]) => c.published),
              delivered: kept.map(([, c]) => c.delivered),
            };
    }
    this.#open = new Map();
    this.#openSecond = second;
    const slot = this.#slot(second);
    this.#second[slot] = second;
    this.#published[slot] = 0;
    this.#delivered[slot] = 0;
    this.#named[slot] = undefined;
  }
}
