import type { HeraldErrorCode } from './codes.js';

/** Options accepted by every Herald error. */
export interface HeraldErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /** Structured facts about the failure (attribute names, limits, ...), safe to serialise. */
  details?: Record<string, unknown>;
}

/**
 * The base of every error Herald throws. Branch on `code`, which is stable and documented in
 * `docs/errors.md`; `name` equals the class name.
 *
 * @example
 * ```ts
 * try {
 *   await broker.publish('orders..created', {});
 * } catch (err) {
 *   if (err instanceof HeraldError && err.code === 'INVALID_TYPE') console.error(err.message);
 * }
 * ```
 */
export class HeraldError extends Error {
  readonly code: HeraldErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: HeraldErrorCode, message: string, options: HeraldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }

  /** A plain object for logs and HTTP bodies: `{ code, message, details }`. */
  toJSON(): { code: HeraldErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Thrown by a handler (or middleware) to say that retrying cannot help: the event is dead-lettered
 * at once, without further attempts.
 *
 * @example
 * ```ts
 * broker.subscribe('order.created', (e) => {
 *   if (!e.data.sku) throw new UnrecoverableError('order has no sku');
 * });
 * ```
 */
export class UnrecoverableError extends HeraldError {
  constructor(message: string, options: HeraldErrorOptions = {}) {
    super('UNRECOVERABLE', message, options);
  }
}

/**
 * Thrown by a handler to ask for another attempt after a specific delay, overriding the retry
 * policy's backoff (the attempt still counts toward `maxAttempts`).
 *
 * @example
 * ```ts
 * broker.subscribe('email.send', async (e) => {
 *   const res = await send(e.data);
 *   if (res.status === 429) throw new RetryLaterError(Number(res.headers.get('retry-after')) * 1000);
 * }, { retry: { maxAttempts: 5 } });
 * ```
 */
export class RetryLaterError extends HeraldError {
  readonly delayMs: number;

  constructor(
    delayMs: number,
    message = `retry requested in ${delayMs} ms`,
    options: HeraldErrorOptions = {},
  ) {
    super('RETRY_LATER', message, { ...options, details: { ...options.details, delayMs } });
    this.delayMs = delayMs;
  }
}

/** One failed subscription in a `{ wait: 'handled' }` publish. */
export interface HandlerFailure {
  subscription: string;
  error: unknown;
  attempts: number;
}

/**
 * Rejects a `publish(..., { wait: 'handled' })` when one or more subscriptions failed to handle the
 * event; `failures` lists each subscription with its final error.
 *
 * @example
 * ```ts
 * try {
 *   await broker.publish('order.created', order, { wait: 'handled' });
 * } catch (err) {
 *   if (err instanceof HandlerFailedError) for (const f of err.failures) console.error(f.subscription, f.error);
 * }
 * ```
 */
export class HandlerFailedError extends HeraldError {
  readonly failures: readonly HandlerFailure[];

  constructor(eventType: string, failures: readonly HandlerFailure[]) {
    const names = failures.map((f) => `${f.subscription}: ${describe(f.error)}`).join('; ');
    super('HANDLER_FAILED', `${failures.length} subscription(s) failed to handle "${eventType}": ${names}`, {
      details: {
        type: eventType,
        failures: failures.map((f) => ({
          subscription: f.subscription,
          attempts: f.attempts,
          error: describe(f.error),
        })),
      },
    });
    this.failures = failures;
  }
}

/**
 * A short human description of any thrown value (exported as `describeError`).
 *
 * @example
 * ```ts
 * describeError(new Error('boom')); // 'boom'
 * describeError({ status: 503 });   // '{"status":503}'
 * ```
 */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  const json = JSON.stringify(error) as string | undefined; // undefined for undefined and functions
  return json ?? String(error);
}

/**
 * An append's `expectedVersion` did not hold: the whole batch was refused. `expected` is what the
 * caller asked for, `actual` the stream's version at the time.
 *
 * @example
 * ```ts
 * try {
 *   await log.append([event], { stream: 'order-1', expectedVersion: 3 });
 * } catch (err) {
 *   if (err instanceof ConcurrencyError) console.log(`stream is at ${err.actual}, not ${String(err.expected)}`);
 * }
 * ```
 */
export class ConcurrencyError extends HeraldError {
  readonly stream: string;
  readonly expected: number | string;
  readonly actual: number;

  constructor(stream: string, expected: number | string, actual: number) {
    super(
      'CONCURRENCY_CONFLICT',
      `stream "${stream}" is at version ${actual}, expected ${String(expected)}`,
      {
        details: { stream, expected, actual },
      },
    );
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * The backend cannot do what was asked (its `capabilities` say so), e.g. consumer groups on a log
 * without them.
 *
 * @example
 * ```ts
 * if (!log.capabilities.consumerGroups) throw new CapabilityNotSupportedError('consumerGroups', log.capabilities.name);
 * ```
 */
export class CapabilityNotSupportedError extends HeraldError {
  constructor(capability: string, backend: string) {
    super('CAPABILITY_NOT_SUPPORTED', `the ${backend} log does not support ${capability}`, {
      details: { capability, backend },
    });
  }
}
