import { describe as describeError } from '../errors/herald-error.js';

/** A dead letter's error as `deadLetters.list()` shows it. */
export interface ErrorSummary {
  name: string;
  message: string;
  code?: string;
}

/**
 * The serialisable view of any thrown value: an `Error`'s name, message and string `code`;
 * anything else as an `Error` whose message describes it.
 *
 * @example
 * ```ts
 * summarizeError(new UnrecoverableError('card expired'));
 * // { name: 'UnrecoverableError', message: 'card expired', code: 'UNRECOVERABLE' }
 * summarizeError('boom'); // { name: 'Error', message: 'boom' }
 * ```
 */
export function summarizeError(error: unknown): ErrorSummary {
  if (!(error instanceof Error)) return { name: 'Error', message: describeError(error) };
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string'
    ? { name: error.name, message: error.message, code }
    : { name: error.name, message: error.message };
}

/**
 * How a durable group's member writes a failure into the log, which keeps one string per
 * delivery: `Name [CODE]: message`, the first line Node prints for an error with a code (`Name:
 * message` without one), readable as it is in the hub's views.
 *
 * @example
 * ```ts
 * formatStoredError(new UnrecoverableError('card expired')); // 'UnrecoverableError [UNRECOVERABLE]: card expired'
 * ```
 */
export function formatStoredError(error: unknown): string {
  const { name, message, code } = summarizeError(error);
  return code === undefined ? `${name}: ${message}` : `${name} [${code}]: ${message}`;
}

const STORED = /^([A-Z][\w$]*)(?: \[([A-Za-z][\w.-]*)\])?: ([\s\S]*)$/;

/**
 * Reads back what `formatStoredError` wrote. The name is taken only when it reads as an error
 * class (`...Error`, `...Exception`) or a code follows it, so a plain message stored by an older
 * version or by an HTTP member's nack (`'timeout: 5s'`, `'boom'`) stays a message of an `Error`,
 * as before.
 *
 * @example
 * ```ts
 * parseStoredError('UnrecoverableError [UNRECOVERABLE]: card expired');
 * // { name: 'UnrecoverableError', message: 'card expired', code: 'UNRECOVERABLE' }
 * parseStoredError('boom'); // { name: 'Error', message: 'boom' }
 * ```
 */
export function parseStoredError(stored: string | undefined): ErrorSummary {
  if (stored === undefined) return { name: 'Error', message: 'unknown error' };
  const m = STORED.exec(stored);
  if (m === null) return { name: 'Error', message: stored };
  const [, name, code, message] = m as unknown as [string, string, string | undefined, string];
  if (code !== undefined) return { name, message, code };
  return /(?:Error|Exception)$/.test(name) ? { name, message } : { name: 'Error', message: stored };
}
