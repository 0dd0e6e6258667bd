import { validatePattern } from '../subject/subject.js';
import { checkInteger, checkMillis, invalidOption } from './invalid-option.js';
import type { ConsumerGroup, GroupOptions } from './types.js';

/** A group's options with every default applied, as `ConsumerGroup.options` shows them. */
export type ResolvedGroupOptions = ConsumerGroup['options'];

/**
 * The defaults of a consumer group. `types: ['>']` is "every type": `>` matches one or more
 * tokens, and every type has at least one.
 *
 * @example
 * ```ts
 * GROUP_DEFAULTS.ackWaitMs; // 30_000
 * ```
 */
export const GROUP_DEFAULTS: ResolvedGroupOptions = Object.freeze({
  types: Object.freeze(['>']),
  ackWaitMs: 30_000,
  maxDeliveries: 5,
  backoff: Object.freeze([1_000, 5_000, 30_000]),
});

// A plain `Array.isArray(value)` would narrow the readonly array to `any[]`.
function checkList<T>(option: string, value: readonly T[]): readonly T[] {
  const isArray: (v: unknown) => boolean = Array.isArray;
  if (!isArray(value)) throw invalidOption(option, value, 'an array');
  return value;
}

/**
 * Checks `GroupOptions` and merges them over `previous` (an existing group's options, or the
 * defaults): options a later `group(name, options)` call gives replace the stored ones, the rest
 * stay. `startAt` is not part of the result (it only matters when the group is created). Throws
 * `INVALID_OPTION`, or `INVALID_PATTERN` for a bad type pattern. The result is frozen.
 *
 * @example
 * ```ts
 * const options = resolveGroupOptions({ types: ['order.>'], ackWaitMs: 10_000 });
 * options.maxDeliveries; // 5
 * ```
 */
export function resolveGroupOptions(
  options: GroupOptions = {},
  previous: ResolvedGroupOptions = GROUP_DEFAULTS,
): ResolvedGroupOptions {
  const { types, ackWaitMs, maxDeliveries, backoff } = options;
  if (types !== undefined) for (const pattern of checkList('types', types)) validatePattern(pattern);
  if (backoff !== undefined)
    for (const delay of checkList('backoff', backoff)) checkMillis('backoff', delay, 0);
  return Object.freeze({
    types: types === undefined ? previous.types : Object.freeze([...types]),
    ackWaitMs: ackWaitMs === undefined ? previous.ackWaitMs : checkMillis('ackWaitMs', ackWaitMs, 1),
    maxDeliveries:
      maxDeliveries === undefined ? previous.maxDeliveries : checkInteger('maxDeliveries', maxDeliveries, 1),
    backoff: backoff === undefined ? previous.backoff : Object.freeze([...backoff]),
  });
}

/**
 * The delay before redelivering a nacked event: the nack's own `delayMs` when given, else the
 * group's backoff for this delivery (the first nack takes `backoff[0]`, later ones the next
 * entries, then the last one again); 0 with an empty backoff.
 *
 * @example
 * ```ts
 * nackDelay([1000, 5000], 3, undefined); // 5000
 * nackDelay([1000, 5000], 1, 250); // 250
 * ```
 */
export function nackDelay(
  backoff: readonly number[],
  deliveryCount: number,
  delayMs: number | undefined,
): number {
  if (delayMs !== undefined) return checkMillis('delayMs', delayMs, 0);
  if (backoff.length === 0) return 0;
  return backoff[Math.min(Math.max(deliveryCount, 1), backoff.length) - 1]!;
}
