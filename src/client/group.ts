import type { EventMap } from '../broker/event-map.js';
import type { HeraldEvent } from '../event/types.js';
import { HubError, retryableStatus } from './errors.js';
import { postJson, type HttpContext } from './http.js';
import { backoffDelay, linkedController, sleep, type RetryOptions } from './timing.js';
import type { EventForAny } from './types.js';

/** What became of an ack or nack of one receipt (see `docs/http-groups.md`). */
export type SettleStatus = 'acked' | 'nacked' | 'unknown' | 'expired' | 'failed';

/** Options of a nack. */
export interface NackOptions {
  /** Redeliver after this long (default: the group's backoff). */
  delayMs?: number;
  /** Kept as the last error, shown with the dead letter. */
  error?: string;
  /** Dead-letter now, whatever the delivery count. */
  deadLetter?: boolean;
}

/** One event delivered to this member of the group: settle it with `ack` or `nack`. */
export interface Delivery<Ev = HeraldEvent> {
  readonly event: Ev;
  readonly receipt: string;
  /** 1 on the first delivery of the event to the group. */
  readonly deliveryCount: number;
  /** The group is done with the event. */
  ack(options?: { signal?: AbortSignal }): Promise<SettleStatus>;
  /** Hand it back: delivered again later, or dead-lettered. */
  nack(options?: NackOptions & { signal?: AbortSignal }): Promise<SettleStatus>;
}

/** Options of a new group, sent with every pull (an existing group keeps its creator's). */
export interface GroupCreateOptions {
  /** Where a new group starts (default `'end'`). */
  startAt?: 'start' | 'end' | number;
  ackWaitMs?: number;
  maxDeliveries?: number;
}

/** Options of `consume`. */
export interface ConsumeOptions extends GroupCreateOptions {
  /** Deliveries per pull, 1 to 1000 (default 10); also the most buffered ahead of the loop. */
  max?: number;
  /** How long a pull waits for a first delivery (default 20,000 ms, at most 30,000). */
  waitMs?: number;
  signal?: AbortSignal;
  retry?: RetryOptions;
  /** About to pull again after a retryable failure. */
  onRetry?: (info: { attempt: number; delayMs: number; error: HubError }) => void;
}

/** A member of a consumer group over HTTP. */
export interface ClientGroup<E extends EventMap> {
  readonly name: string;
  /**
   * Pulls deliveries in a loop (long polls), as an async iterator; retryable failures are retried
   * with backoff. At-least-once: a delivery not acked within the group's ack wait comes again.
   */
  consume<P extends string>(
    patterns: P | readonly P[],
    options?: ConsumeOptions,
  ): AsyncGenerator<Delivery<EventForAny<E, P>>, void, undefined>;
  /** One pull: up to `max` deliveries, waiting up to `waitMs` for the first. */
  pull<P extends string>(
    patterns: P | readonly P[] | undefined,
    options?: Omit<ConsumeOptions, 'retry' | 'onRetry'>,
  ): Promise<Delivery<EventForAny<E, P>>[]>;
  ack(receipts: readonly string[], options?: { signal?: AbortSignal }): Promise<SettleStatus[]>;
  nack(
    receipts: readonly string[],
    options?: NackOptions & { signal?: AbortSignal },
  ): Promise<SettleStatus[]>;
}

interface WireDelivery {
  receipt: string;
  deliveryCount: number;
  event: HeraldEvent;
}

/**
 * A consumer-group member over `POST /v1/groups/{name}/pull`, `/ack` and `/nack`.
 *
 * @example
 * ```ts
 * const g = groupClient(ctx, 'billing', clientSignal, undefined);
 * for await (const d of g.consume('order.created', { max: 100 })) await d.ack();
 * ```
 */
export function groupClient<E extends EventMap>(
  ctx: HttpContext,
  name: string,
  clientSignal: AbortSignal,
  clientRetry: RetryOptions | undefined,
): ClientGroup<E> {
  const base = `/v1/groups/${encodeURIComponent(name)}`;

  const settle = async (
    action: 'ack' | 'nack',
    receipts: readonly string[],
    options: (NackOptions & { signal?: AbortSignal }) | undefined,
  ): Promise<SettleStatus[]> => {
    const { signal, ...rest } = options ?? {};
    const body = action === 'ack' ? { receipts } : { receipts, ...rest };
    const reply = await postJson<{ results: { status: SettleStatus }[] }>(
      ctx,
      `${base}/${action}`,
      body,
      signal ?? clientSignal,
    );
    return reply.results.map((r) => r.status);
  };

  const wrap = (d: WireDelivery): Delivery<never> => ({
    event: d.event as never,
    receipt: d.receipt,
    deliveryCount: d.deliveryCount,
    ack: async (options) => (await settle('ack', [d.receipt], options))[0]!,
    nack: async (options) => (await settle('nack', [d.receipt], options))[0]!,
  });

  const pull = async (
    patterns: string | readonly string[] | undefined,
    options: Omit<ConsumeOptions, 'retry' | 'onRetry'> = {},
  ): Promise<Delivery<never>[]> => {
    const { signal, max = 10, waitMs = 20_000, startAt, ackWaitMs, maxDeliveries } = options;
    const body = {
      ...(patterns !== undefined && { types: typeof patterns === 'string' ? [patterns] : patterns }),
      max,
      waitMs,
      ...(startAt !== undefined && { startAt }),
      ...(ackWaitMs !== undefined && { ackWaitMs }),
      ...(maxDeliveries !== undefined && { maxDeliveries }),
    };
    const reply = await postJson<{ deliveries: WireDelivery[] }>(
      ctx,
      `${base}/pull`,
      body,
      signal ?? clientSignal,
    );
    return reply.deliveries.map(wrap);
  };

  async function* consume(
    patterns: string | readonly string[],
    options: ConsumeOptions = {},
  ): AsyncGenerator<Delivery<never>, void, undefined> {
    const { controller, detach } = linkedController([options.signal, clientSignal]);
    const { retry = clientRetry, onRetry, ...pullOptions } = options;
    let failures = 0;
    const stopped = (): boolean => controller.signal.aborted;
    try {
      while (!stopped()) {
        let deliveries: Delivery<never>[];
        try {
          deliveries = await pull(patterns, { ...pullOptions, signal: controller.signal });
          failures = 0;
        } catch (error) {
          if (stopped()) return;
          if (!(error instanceof HubError) || !retryableStatus(error.status)) throw error;
          failures++;
          if (failures > (retry?.maxAttempts ?? Infinity)) throw error;
          const backoff = backoffDelay(failures - 1, retry?.initialMs ?? 1_000, retry?.maxMs ?? 30_000);
          const delayMs = Math.max(backoff, (error.details.retryAfterMs as number | undefined) ?? 0);
          onRetry?.({ attempt: failures, delayMs, error });
          await sleep(delayMs, controller.signal);
          continue;
        }
        for (const delivery of deliveries) {
          if (stopped()) return;
          yield delivery;
        }
      }
    } finally {
      detach();
    }
  }

  return {
    name,
    consume,
    pull,
    ack: (receipts, options) => settle('ack', receipts, options),
    nack: (receipts, options) => settle('nack', receipts, options),
  };
}
