import type { DeadLetterInput } from '../delivery/dead-letter.js';
import { uuidv7 } from '../event/uuidv7.js';
import type { HeraldEvent } from '../event/types.js';
import { matchesPattern, validatePattern } from '../subject/subject.js';
import { summarizeError, type ErrorSummary } from './stored-error.js';

/** An event that failed for good, kept for inspection, redrive or purge. */
export interface DeadLetter {
  /** The dead letter's own id (UUIDv7), not the event's. */
  readonly id: string;
  readonly event: HeraldEvent;
  /** The final error, serialisable: name, message and code when it has one. */
  readonly error: ErrorSummary;
  /** The thrown value itself. */
  readonly cause: unknown;
  readonly attempts: number;
  readonly subscription: string;
  readonly group: string | undefined;
  /** When it was dead-lettered (RFC 3339). */
  readonly at: string;
}

/** Selects dead letters: by id, or by subscription and/or an event type pattern (`orders.>`). */
export type DeadLetterFilter = string | { subscription?: string; type?: string };

/**
 * The broker's dead letters: those of in-process subscriptions (kept in memory, bounded by
 * `maxDeadLetters`: when full the oldest is evicted and reported through `onError`) and, with a
 * log, those of durable consumer groups (kept in the log; ids look like `billing@42`).
 *
 * @example
 * ```ts
 * for (const d of await broker.deadLetters.list()) console.log(d.subscription, d.error.message);
 * await broker.deadLetters.redrive({ subscription: 'billing' });
 * await broker.deadLetters.purge();
 * ```
 */
export interface DeadLetters {
  list(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  /** Delivers the selected entries again (attempts start over) to their subscription; removes them. */
  redrive(filter?: DeadLetterFilter): Promise<number>;
  /** Deletes the selected entries; returns how many. */
  purge(filter?: DeadLetterFilter): Promise<number>;
}

export interface RedriveTarget {
  redrive(entry: DeadLetter): Promise<void>;
}

/** The in-memory dead-letter store used by `createBroker`. */
export class DeadLetterStore {
  private readonly entries = new Map<string, DeadLetter>();

  constructor(
    private readonly max: number,
    private readonly target: RedriveTarget,
    private readonly onEvict: (entry: DeadLetter) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(input: DeadLetterInput, group: string | undefined): void {
    const { error } = input;
    const entry: DeadLetter = {
      id: uuidv7(),
      event: input.event,
      error: summarizeError(error),
      cause: error,
      attempts: input.attempts,
      subscription: input.subscription,
      group,
      at: new Date().toISOString(),
    };
    this.entries.set(entry.id, entry);
    if (this.entries.size > this.max) {
      const oldest = this.entries.values().next().value!;
      this.entries.delete(oldest.id);
      this.onEvict(oldest);
    }
  }

  list(filter?: DeadLetterFilter): DeadLetter[] {
    return this.select(filter);
  }

  /** Whether an entry has this id (a memory dead letter; durable ones have `group@position` ids). */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): DeadLetter | undefined {
    return this.entries.get(id);
  }

  async redrive(filter?: DeadLetterFilter): Promise<number> {
    const selected = this.select(filter);
    let n = 0;
    for (const entry of selected) {
      // Removed only once it is back in a queue: a failed redrive keeps the entry.
      await this.target.redrive(entry);
      this.entries.delete(entry.id);
      n++;
    }
    return n;
  }

  purge(filter?: DeadLetterFilter): number {
    const selected = this.select(filter);
    for (const entry of selected) this.entries.delete(entry.id);
    return selected.length;
  }

  select(filter: DeadLetterFilter | undefined): DeadLetter[] {
    if (typeof filter === 'string') {
      const one = this.entries.get(filter);
      return one ? [one] : [];
    }
    const all = [...this.entries.values()];
    if (!filter) return all;
    if (filter.type !== undefined) validatePattern(filter.type);
    return all.filter(
      (e) =>
        (filter.subscription === undefined || e.subscription === filter.subscription) &&
        (filter.type === undefined || matchesPattern(filter.type, e.event.type)),
    );
  }
}
