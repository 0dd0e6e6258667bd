import type { EventStatus } from './types.js';

/** What a group knows about one event, for `eventStatus`. */
export interface EventStatusFacts {
  /** The event is stored (or held by the group) and its type matches the group's. */
  readonly matches: boolean;
  /** The event is after the group's start (events before `startAt` are not the group's). */
  readonly afterStart: boolean;
  /** The event is at or below the group's cursor (`deliveredPosition`). */
  readonly delivered: boolean;
  /** The event is dead-lettered. */
  readonly dead: boolean;
  /** When the event is delivered and not acked: whether its redelivery is due now. */
  readonly pending: { readonly due: boolean } | undefined;
}

/**
 * A group's view of one event, the same rules for every backend: `failed` when dead-lettered;
 * `processing` when delivered, unacked and not yet due again (a nack's delay counts as
 * processing); `pending` when due for redelivery, or matching and not delivered yet;
 * `completed` when delivered and acked; `undefined` when the group has nothing to say (no such
 * event, a type it does not take, or before its start).
 *
 * @example
 * ```ts
 * eventStatus({ matches: true, afterStart: true, delivered: true, dead: false, pending: undefined }); // 'completed'
 * ```
 */
export function eventStatus(facts: EventStatusFacts): EventStatus | undefined {
  if (facts.dead) return 'failed';
  if (facts.pending !== undefined) return facts.pending.due ? 'pending' : 'processing';
  if (!facts.matches || !facts.afterStart) return undefined;
  return facts.delivered ? 'completed' : 'pending';
}
