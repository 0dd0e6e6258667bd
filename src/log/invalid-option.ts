import { HeraldError } from '../errors/index.js';

/**
 * The `INVALID_OPTION` error for one option of a log call: `details` name the `option` and the
 * `value` given, the message says what was expected. Shared by every backend so they refuse bad
 * options with the same code and words.
 *
 * @example
 * ```ts
 * if (!Number.isSafeInteger(limit)) throw invalidOption('limit', limit, 'an integer >= 0');
 * ```
 */
export function invalidOption(option: string, value: unknown, expected: string): HeraldError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new HeraldError('INVALID_OPTION', `invalid ${option} ${shown}: expected ${expected}`, {
    details: { option, value },
  });
}

/**
 * Checks that `value` is a safe integer of at least `min` and returns it.
 *
 * @example
 * ```ts
 * const limit = checkInteger('limit', options.limit, 0);
 * ```
 */
export function checkInteger(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalidOption(option, value, `an integer >= ${min}`);
  }
  return value;
}

/**
 * Checks that `value` is a finite number of at least `min` (milliseconds, mostly) and returns it.
 *
 * @example
 * ```ts
 * const delay = checkMillis('delayMs', options.delayMs, 0);
 * ```
 */
export function checkMillis(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalidOption(option, value, `a finite number >= ${min}`);
  }
  return value;
}

// Control characters would not survive every backend's keys (Redis, NATS subjects, log lines).
// eslint-disable-next-line no-control-regex -- these control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks a stream or group name: a non-empty string of at most 255 characters without control
 * characters, so it can be a key in every backend.
 *
 * @example
 * ```ts
 * checkName('stream', 'order-o-1');
 * ```
 */
export function checkName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 255 || CONTROL.test(value)) {
    throw invalidOption(option, value, 'a non-empty string of at most 255 characters, without controls');
  }
  return value;
}
