import { HeraldError } from '../errors/herald-error.js';
import type { ConsumerGroup, EventLog, GroupOptions } from '../log/types.js';

/**
 * Opens the log's group for a member on `pattern`. A group's pattern is its creator's: an
 * existing group on another pattern refuses the member (`INVALID_OPTION`) before anything is
 * written, so no member retargets a group (stored options are replaced by `log.group`). Ack wait
 * and max deliveries follow the joining member's settings, as they always have.
 *
 * @example
 * ```ts
 * const group = await joinGroup(log, 'billing', 'order.>', { ackWaitMs: 30_000, maxDeliveries: 3 });
 * ```
 */
export async function joinGroup(
  log: EventLog,
  group: string,
  pattern: string,
  options: Omit<GroupOptions, 'types'>,
): Promise<ConsumerGroup> {
  if ((await log.groups()).includes(group)) {
    const existing = await log.group(group); // no options: changes nothing
    assertGroupPattern(group, existing.options.types, pattern);
  }
  return log.group(group, { ...options, types: [pattern] });
}

/**
 * Throws `INVALID_OPTION`, naming the group's pattern, unless its types are exactly `[pattern]`.
 *
 * @example
 * ```ts
 * assertGroupPattern('billing', ['order.>'], 'refund.>'); // throws INVALID_OPTION
 * ```
 */
export function assertGroupPattern(group: string, types: readonly string[], pattern: string): void {
  if (types.length === 1 && types[0] === pattern) return;
  const theirs = types.map((t) => JSON.stringify(t)).join(', ');
  throw new HeraldError(
    'INVALID_OPTION',
    `durable group "${group}" is on ${theirs}, not "${pattern}": a group's pattern is fixed by its creator (use another group name, or change the group in the log first)`,
    { details: { option: 'group', group, pattern: types.length === 1 ? types[0] : types } },
  );
}
