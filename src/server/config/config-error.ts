import { HeraldError } from '../../errors/herald-error.js';

/**
 * The `INVALID_CONFIG` error for one key: the message names the key, where its value came from and
 * what is wrong; `details` carry `key` and `source` (a file with its line, an environment variable,
 * a flag, or `default`).
 *
 * @example
 * ```ts
 * throw configError('live.keepAliveMs', 'HERALD_LIVE__KEEP_ALIVE_MS', 'must be a positive integer, got "abc"');
 * // invalid config: live.keepAliveMs (from HERALD_LIVE__KEEP_ALIVE_MS) must be a positive integer, got "abc"
 * ```
 */
export function configError(
  key: string,
  source: string,
  problem: string,
  extra: Record<string, unknown> = {},
): HeraldError {
  return new HeraldError('INVALID_CONFIG', `invalid config: ${key} (from ${source}) ${problem}`, {
    details: { key, source, ...extra },
  });
}

/**
 * A value as it appears in a message: strings quoted, everything else as JSON.
 *
 * @example
 * ```ts
 * shown('abc'); // '"abc"'
 * shown([1, 2]); // '[1,2]'
 * ```
 */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) as string | undefined;
  return json ?? typeof value;
}
