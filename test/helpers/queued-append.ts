import type { HeraldError } from '../../src/errors/index.js';
import type { EventLog } from '../../src/log/types.js';

/** How an append ended while the server was away: its error code and how long it waited. */
export interface TimedFailure {
  readonly code: unknown;
  readonly waitedMs: number;
}

/**
 * With the log's server stopped: one append, then, 300 ms later, a second one that waits behind
 * the first one's round. Returns how each ended, for the retry-budget tests of the server-backed
 * logs (the second must get what is left of its own budget, not a new one).
 *
 * @example
 * ```ts
 * const { first, queued } = await appendBehindFailingRound(log);
 * expect(queued.waitedMs).toBeLessThan(BUDGET + 500);
 * ```
 */
export async function appendBehindFailingRound(
  log: EventLog,
): Promise<{ first: TimedFailure; queued: TimedFailure }> {
  const timed = async (): Promise<TimedFailure> => {
    const start = Date.now();
    const error = await log.append([{ type: 't.during', data: {} }]).catch((e: unknown) => e);
    return { code: (error as HeraldError).code, waitedMs: Date.now() - start };
  };
  const first = timed();
  await new Promise((r) => setTimeout(r, 300));
  const queued = await timed();
  return { first: await first, queued };
}
