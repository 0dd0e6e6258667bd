import { HeraldError } from '../errors/herald-error.js';
import type { EventLog } from '../log/types.js';

/** What a closed broker answers to everything new. */
export const closedError = (): HeraldError =>
  new HeraldError('BROKER_CLOSED', 'the broker is closed and accepts no more events');

/** The log, or `CAPABILITY_NOT_SUPPORTED` naming what needed it. */
export function requireLog(log: EventLog | undefined, what: string): EventLog {
  if (log === undefined) {
    throw new HeraldError('CAPABILITY_NOT_SUPPORTED', `${what} needs a log: createBroker({ log })`, {
      details: { capability: what },
    });
  }
  return log;
}

/** A count option: an integer >= 1, or `INVALID_OPTION`. */
export function checkCount(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new HeraldError('INVALID_OPTION', `${option} must be an integer >= 1, got ${String(value)}`, {
      details: { option, value },
    });
  }
  return value;
}
