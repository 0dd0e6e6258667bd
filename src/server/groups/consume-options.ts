import { checkInteger } from '../../log/invalid-option.js';

/** Options of group consumption over HTTP (`POST /v1/groups/{name}/pull`, `.../ack`, `.../nack`). */
export interface GroupConsumeOptions {
  /**
   * Receipts of unsettled deliveries one hub holds (default 100,000). Past it the oldest receipts
   * are forgotten: their events come back after the group's ack wait (at-least-once).
   */
  maxReceipts?: number;
}

/** `GroupConsumeOptions` checked, defaults applied. */
export type ResolvedGroupConsumeOptions = Readonly<Required<GroupConsumeOptions>>;

/**
 * Checks `GroupConsumeOptions` (`INVALID_OPTION` naming the option) and applies the defaults.
 *
 * @example
 * ```ts
 * resolveGroupConsumeOptions({}).maxReceipts; // 100000
 * ```
 */
export function resolveGroupConsumeOptions(options: GroupConsumeOptions = {}): ResolvedGroupConsumeOptions {
  return Object.freeze({
    maxReceipts: checkInteger('groups.maxReceipts', options.maxReceipts ?? 100_000, 1),
  });
}
