import { checkInteger, invalidOption } from './invalid-option.js';
import type { GroupPageOptions } from './types.js';

/** `pending`'s default page size and its largest. */
export const PENDING_PAGE = Object.freeze({ limit: 100, maxLimit: 1_000 });

/** A checked page: positions above `after`, at most `limit`. */
export interface GroupPage {
  readonly limit: number;
  readonly after: number;
}

/**
 * Checks the options of `ConsumerGroup.pending`: `limit` an integer from 1 to 1,000 (default 100),
 * `after` an integer of 0 or more (default 0); anything else is `INVALID_OPTION` naming it. Shared
 * by every backend so they refuse the same input with the same words.
 *
 * @example
 * ```ts
 * pendingPage({ after: 41 }); // { limit: 100, after: 41 }
 * ```
 */
export function pendingPage(options: GroupPageOptions = {}): GroupPage {
  const limit = options.limit ?? PENDING_PAGE.limit;
  if (
    typeof limit !== 'number' ||
    !Number.isSafeInteger(limit) ||
    limit < 1 ||
    limit > PENDING_PAGE.maxLimit
  ) {
    throw invalidOption('limit', limit, `an integer from 1 to ${PENDING_PAGE.maxLimit}`);
  }
  return { limit, after: checkInteger('after', options.after ?? 0, 0) };
}

/**
 * Checks the options of `ConsumerGroup.deadLetters`: `limit` an integer of 0 or more (default: no
 * limit), `after` an integer of 0 or more (default 0); anything else is `INVALID_OPTION`.
 *
 * @example
 * ```ts
 * deadLetterPage({ limit: 10 }); // { limit: 10, after: 0 }
 * ```
 */
export function deadLetterPage(options: GroupPageOptions = {}): GroupPage {
  return {
    limit: checkInteger('limit', options.limit ?? Number.MAX_SAFE_INTEGER, 0),
    after: checkInteger('after', options.after ?? 0, 0),
  };
}
