import { ConcurrencyError } from '../errors/index.js';
import type { ExpectedVersion } from './types.js';
import { invalidOption } from './invalid-option.js';

/**
 * Checks an `expectedVersion` option: `'any'`, `'no_stream'`, `'stream_exists'` or a version
 * (an integer >= 0). Throws `INVALID_OPTION` otherwise.
 *
 * @example
 * ```ts
 * checkExpectedVersionOption(options.expectedVersion ?? 'any');
 * ```
 */
export function checkExpectedVersionOption(value: unknown): ExpectedVersion {
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw invalidOption('expectedVersion', value, "'any', 'no_stream', 'stream_exists' or an integer >= 0");
}

/**
 * Whether a stream at version `actual` (0: no event) satisfies `expected`.
 *
 * @example
 * ```ts
 * satisfiesExpectedVersion('stream_exists', 0); // false
 * satisfiesExpectedVersion(0, 0); // true: 0 is the same as 'no_stream'
 * ```
 */
export function satisfiesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 0;
    case 'stream_exists':
      return actual > 0;
    default:
      return actual === expected;
  }
}

/**
 * Throws `ConcurrencyError` (with `expected` as given and `actual`) unless a stream at version
 * `actual` satisfies `expected`. Backends call it inside the transaction that appends.
 *
 * @example
 * ```ts
 * checkExpectedVersion('order-1', 3, currentVersion);
 * ```
 */
export function checkExpectedVersion(stream: string, expected: ExpectedVersion, actual: number): void {
  if (!satisfiesExpectedVersion(expected, actual)) throw new ConcurrencyError(stream, expected, actual);
}
