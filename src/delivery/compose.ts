import type { DeliveryContext, Middleware } from './context.js';

/** The innermost step of a chain: the subscription's handler bound to its context. */
export type Terminal = (ctx: DeliveryContext) => unknown;

/** True for a promise or any thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * Composes middleware around a terminal step, outermost first. The result is built once per
 * subscription; an attempt costs one call per middleware, and stays synchronous when every step
 * is (so a synchronous handler behind the default policies never allocates a promise).
 *
 * @example
 * ```ts
 * const run = compose([expiry(), retry({ maxAttempts: 3 })], (ctx) => handler(ctx.event, ctx));
 * await run(ctx);
 * ```
 */
export function compose(
  middleware: readonly Middleware[],
  terminal: Terminal,
): (ctx: DeliveryContext) => unknown {
  let chain: (ctx: DeliveryContext) => unknown = terminal;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const mw = middleware[i]!;
    const inner = chain;
    chain = (ctx) => mw(ctx, () => inner(ctx) as void | Promise<void>);
  }
  return chain;
}
