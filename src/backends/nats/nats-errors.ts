import { HeraldError } from '../../errors/index.js';

/**
 * A call that failed for want of the server (a timeout, a closed or lost connection, no
 * JetStream answering) as `LOG_UNREACHABLE`; anything else as it is.
 */
export function unreachable(error: unknown): unknown {
  if (error instanceof HeraldError) return error;
  const name = (error as { name?: unknown } | undefined)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (
    (typeof name === 'string' && /Timeout|Closed|Connection|NoResponders/i.test(name)) ||
    /timeout|closed|disconnect|no responders|connection/i.test(message)
  )
    return new HeraldError('LOG_UNREACHABLE', `NATS did not answer: ${message}`, { cause: error });
  return error;
}

/**
 * `work`, with a failure for want of the server as `LOG_UNREACHABLE` (see {@link unreachable}).
 *
 * @example
 * ```ts
 * const info = await orUnreachable(jsm.consumers.info(stream, durable));
 * ```
 */
export async function orUnreachable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw unreachable(error);
  }
}
