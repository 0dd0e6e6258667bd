import { HeraldError } from '../errors/herald-error.js';
import { closedError } from './broker-errors.js';
import type { RequestReply } from './request-reply.js';
import type { SubscriptionRegistry } from './subscriptions.js';
import type { TransportLink } from './transport-link.js';
import type { CloseResult } from './types.js';

/** What a broker's shutdown stops, drains and reports on. */
export interface ShutdownParts {
  link: TransportLink | undefined;
  subscriptions: SubscriptionRegistry;
  requests: RequestReply;
  /** Told of a transport that failed to close. */
  onLinkError: (error: unknown) => void;
}

/**
 * Closes a broker (already marked closing): stops the transport, refuses blocked publishers,
 * drains every queue and durable member until `timeoutMs`, then fails pending requests with
 * `BROKER_CLOSED` and, past the deadline, abandons what is left and lists it in the report.
 */
export async function shutdown(parts: ShutdownParts, timeoutMs: number): Promise<CloseResult> {
  const { link, subscriptions, requests } = parts;
  // Nothing more from other instances: what arrived is drained below like local publishes.
  const unlinked = link?.close().catch((error: unknown) => parts.onLinkError(error));
  const runtimes = subscriptions.runtimes();
  let refusedPublishers = 0;
  for (const s of runtimes) refusedPublishers += s.refuseBlocked(closedError());
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.all([
      ...runtimes.map((s) => s.whenIdle()),
      ...[...subscriptions.durables()].map((d) => d.close()),
    ]).then(() => 'drained' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  const result: CloseResult = {
    drained: outcome === 'drained',
    undelivered: [],
    inFlight: [],
    refusedPublishers,
  };
  const reason =
    outcome === 'timeout'
      ? new HeraldError(
          'BROKER_CLOSED',
          `the broker closed before this delivery finished (deadline ${timeoutMs} ms)`,
        )
      : closedError();
  // Requests first: abandoning their deliveries below would otherwise fail them as
  // HANDLER_FAILED, where the requester is owed the plain BROKER_CLOSED.
  requests.rejectAll(reason);
  if (outcome === 'timeout') {
    for (const s of runtimes) {
      const left = s.abandon(reason);
      for (const event of left.undelivered) result.undelivered.push({ subscription: s.name, event });
      for (const event of left.inFlight) result.inFlight.push({ subscription: s.name, event });
    }
    for (const d of subscriptions.durables()) {
      for (const event of d.abandon(reason)) result.inFlight.push({ subscription: d.name, event });
    }
  }
  await unlinked;
  return result;
}
