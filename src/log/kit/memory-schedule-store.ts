import type { ScheduleCursor, ScheduleEntry, ScheduleStore } from './schedule.js';

interface Slot {
  readonly entry: ScheduleEntry;
  /** Unix ms until which a mover holds it; 0 while untaken. */
  leaseUntil: number;
}

const before = (a: ScheduleEntry, b: ScheduleEntry): boolean =>
  a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.id < b.id);

/**
 * A binary min-heap of slots by (dueAt, id) with lazy removal: a slot no longer in `live` (completed
 * or cancelled) or re-queued is skipped when it surfaces.
 */
class SlotHeap {
  readonly #items: { slot: Slot; key: ScheduleEntry }[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(slot: Slot, key: ScheduleEntry): void {
    const items = this.#items;
    items.push({ slot, key });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!.key, items[parent]!.key)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  peek(): { slot: Slot; key: ScheduleEntry } | undefined {
    return this.#items[0];
  }

  pop(): void {
    const items = this.#items;
    const last = items.pop();
    if (last === undefined || items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!.key, items[m]!.key)) m = l;
      if (r < items.length && before(items[r]!.key, items[m]!.key)) m = r;
      if (m === i) return;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
  }
}

/**
 * The schedule store of the memory log (and of a broker without a log): a heap by due time for
 * `claim`, a map by id for `cancel`; taken entries wait in a second heap by lease end. Everything
 * is synchronous inside, so each call is atomic. Memory: one slot per pending event (about 200
 * bytes plus the event).
 *
 * @example
 * ```ts
 * const scheduling = new Scheduling(memoryScheduleStore(), (events, o) => log.append(events, o));
 * ```
 */
export function memoryScheduleStore(): ScheduleStore {
  const live = new Map<string, Slot>();
  const untaken = new SlotHeap();
  const leased = new SlotHeap();
  const claimable = (now: number, max: number, leaseMs: number): ScheduleEntry[] => {
    const out: ScheduleEntry[] = [];
    // Lease ends first: their movers died; their entries are older than anything untaken.
    while (out.length < max) {
      const top = leased.peek();
      if (top === undefined) break;
      if (live.get(top.slot.entry.id) !== top.slot || top.slot.leaseUntil !== top.key.dueAt) {
        leased.pop();
        continue;
      }
      if (top.slot.leaseUntil > now) break;
      leased.pop();
      out.push(take(top.slot, now + leaseMs));
    }
    while (out.length < max) {
      const top = untaken.peek();
      if (top === undefined) break;
      if (live.get(top.slot.entry.id) !== top.slot || top.slot.leaseUntil !== 0) {
        untaken.pop();
        continue;
      }
      if (top.slot.entry.dueAt > now) break;
      untaken.pop();
      out.push(take(top.slot, now + leaseMs));
    }
    return out;
  };
  const take = (slot: Slot, until: number): ScheduleEntry => {
    slot.leaseUntil = until;
    leased.push(slot, { ...slot.entry, dueAt: until });
    return slot.entry;
  };
  return {
    add(entries) {
      const found = entries.map((entry) => live.get(entry.id)?.entry.dueAt);
      entries.forEach((entry, i) => {
        if (found[i] !== undefined) return;
        const slot: Slot = { entry, leaseUntil: 0 };
        live.set(entry.id, slot);
        untaken.push(slot, entry);
      });
      return Promise.resolve(found);
    },
    claim(now, max, leaseMs) {
      return Promise.resolve(claimable(now, max, leaseMs));
    },
    complete(ids) {
      for (const id of ids) live.delete(id);
      return Promise.resolve();
    },
    cancel(id) {
      const slot = live.get(id);
      if (slot === undefined || slot.leaseUntil !== 0) return Promise.resolve(false);
      live.delete(id);
      return Promise.resolve(true);
    },
    list(limit, after?: ScheduleCursor) {
      const entries = [...live.values()]
        .map((slot) => slot.entry)
        .filter((entry) => after === undefined || before(after as ScheduleEntry, entry))
        .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
      return Promise.resolve(entries.slice(0, limit));
    },
    nextDue() {
      let next: number | undefined;
      for (const heap of [untaken, leased]) {
        for (;;) {
          const top = heap.peek();
          if (top === undefined) break;
          const current = live.get(top.slot.entry.id) === top.slot;
          const valid = heap === untaken ? top.slot.leaseUntil === 0 : top.slot.leaseUntil === top.key.dueAt;
          if (current && valid) {
            next = Math.min(next ?? Infinity, top.key.dueAt);
            break;
          }
          heap.pop();
        }
      }
      return Promise.resolve(next);
    },
  };
}
