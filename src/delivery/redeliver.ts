/**
 * Thrown through the chain by `retry` to ask the dispatcher for another attempt after `delayMs`.
 * Internal: handlers throw `RetryLaterError` instead. Outer middleware (dead letter) lets it pass.
 */
export class RedeliverSignal extends Error {
  constructor(
    readonly delayMs: number,
    override readonly cause: unknown,
  ) {
    super(`redeliver in ${delayMs} ms`);
    this.name = 'RedeliverSignal';
  }
}
