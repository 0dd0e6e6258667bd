import type { Priority } from '../event/types.js';
import { Ring } from './ring.js';

const LEVEL: Record<Priority, number> = { critical: 0, high: 1, normal: 2, low: 3 };

/** The level of `normal` (and of events without a priority). */
export const NORMAL = 2;

/** The queue level of a priority; unknown or missing values are `normal`. */
export function priorityLevel(priority: unknown): number {
  return typeof priority === 'string'
    ? ((LEVEL as Partial<Record<string, number>>)[priority] ?? NORMAL)
    : NORMAL;
}

/**
 * Four FIFO rings, one per priority: `shift` serves critical before high before normal before
 * low, and FIFO within a level. The bound is the owner's; this only stores.
 */
export class PriorityQueue<T> {
  private readonly levels = [new Ring<T>(), new Ring<T>(), new Ring<T>(), new Ring<T>()] as const;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T, level: number): void {
    this.levels[level as 0 | 1 | 2 | 3].push(item);
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    for (const ring of this.levels) {
      if (ring.size > 0) {
        this.count--;
        return ring.shift();
      }
    }
    return undefined;
  }

  /** The level `shift` would serve next, or -1 when empty. */
  nextLevel(): number {
    if (this.count === 0) return -1;
    for (let i = 0; i < 4; i++) if (this.levels[i as 0 | 1 | 2 | 3].size > 0) return i;
    return -1;
  }

  /** Removes the oldest item of the least urgent non-empty level (the `drop-oldest` victim). */
  dropOldest(): T | undefined {
    for (let i = 3; i >= 0; i--) {
      const ring = this.levels[i as 0 | 1 | 2 | 3];
      if (ring.size > 0) {
        this.count--;
        return ring.shift();
      }
    }
    return undefined;
  }

  /** Removes and returns everything, most urgent first. */
  drain(): T[] {
    this.count = 0;
    return this.levels.flatMap((ring) => ring.drain());
  }
}
