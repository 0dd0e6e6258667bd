import { HeraldError } from '../errors/herald-error.js';
import type { Middleware } from './context.js';

/** Options of the `circuitBreaker` policy. */
export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through, in ms (default 30,000). */
  cooldownMs?: number;
  /** Told of every state change, e.g. for logs or metrics. */
  onStateChange?: (state: CircuitState) => void;
}

/** `closed`: deliveries flow; `open`: they wait; `half-open`: one probe decides. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Stops calling a failing handler: after `failureThreshold` consecutive failed attempts the
 * circuit opens and deliveries wait (they stay in the subscription, nothing is lost); after
 * `cooldownMs` one probe is let through, and its success closes the circuit for all.
 *
 * @example
 * ```ts
 * broker.subscribe('crm.sync', pushToCrm, { circuitBreaker: { failureThreshold: 3, cooldownMs: 10_000 } });
 * ```
 */
export function circuitBreaker(
  options: CircuitBreakerOptions = {},
): Middleware & { readonly state: () => CircuitState } {
  const threshold = options.failureThreshold ?? 5;
  const cooldownMs = options.cooldownMs ?? 30_000;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probing = false;
  // Deliveries waiting for the circuit; bounded by the subscription's concurrency.
  const waiting = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;

  const setState = (next: CircuitState): void => {
    if (state === next) return;
    state = next;
    options.onStateChange?.(next);
  };
  const wakeAll = (): void => {
    for (const wake of [...waiting]) wake();
  };
  const open = (): void => {
    setState('open');
    openedAt = Date.now();
    clearTimeout(timer);
    timer = setTimeout(() => {
      setState('half-open');
      wakeAll();
    }, cooldownMs);
    timer.unref();
  };

  const mw: Middleware = async (ctx, next) => {
    // Wait while open, or while another delivery is the half-open probe.
    while (state === 'open' || (state === 'half-open' && probing)) {
      if (state === 'open' && Date.now() - openedAt >= cooldownMs) {
        setState('half-open');
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          waiting.delete(wake);
          ctx.signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          waiting.delete(wake);
          reject(
            new HeraldError(
              'ABORTED',
              `delivery to "${ctx.subscription}" aborted while the circuit was open`,
            ),
          );
        };
        waiting.add(wake);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    const probe = state === 'half-open';
    if (probe) probing = true;
    try {
      await next();
      failures = 0;
      if (probe) {
        probing = false;
        setState('closed');
        wakeAll();
      }
    } catch (error) {
      failures++;
      if (probe) {
        probing = false;
        open();
      } else if (state === 'closed' && failures >= threshold) {
        open();
      }
      throw error;
    }
  };
  return Object.assign(mw, { state: () => state });
}
