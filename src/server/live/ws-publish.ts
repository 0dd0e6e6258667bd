import { HeraldError } from '../../errors/herald-error.js';
import { isoNow } from '../../event/clock.js';
import { uuidv7 } from '../../event/uuidv7.js';
import { validateEvent } from '../../event/validate-event.js';
import { assertCanPublish, type Principal } from '../auth/principal.js';
import { assertCanUseStream } from '../auth/stream-grants.js';
import type { HubContext } from '../hub-context.js';
import type { PublishMessage } from './ws-messages.js';

/** The reply to a publish: where the event was stored. */
export interface AckMessage extends Record<string, unknown> {
  type: 'ack';
  ref?: string | number;
  id: string;
  position: number;
  stream: string | null;
  version: number | null;
  /** True when the id was already stored: nothing was written, these are the original's values. */
  duplicate: boolean;
}

/** The reply to a publish whose event carries `deliverat`: stored for later, no position yet. */
export interface ScheduledAckMessage extends Record<string, unknown> {
  type: 'scheduled';
  ref?: string | number;
  id: string;
  /** When it is due (RFC 3339, ms); for a duplicate, the pending original's. */
  deliverAt: string;
  duplicate: boolean;
}

/**
 * Appends the event of a WebSocket `publish` message (or, when it carries a `deliverat`
 * attribute, schedules it for then and answers `scheduled` instead of `ack`), like a plain-JSON `POST /v1/events`: a
 * missing `id`, `time` or `specversion` is filled in, `source` defaults to the hub's (or the
 * caller's `/clients/<id>` when authenticated), and the caller must be allowed to publish the
 * type. Throws what the POST would answer (`INVALID_EVENT`, `FORBIDDEN`, `CONCURRENCY_CONFLICT`).
 *
 * @example
 * ```ts
 * const ack = await publishMessage({ ctx, principal }, { type: 'publish', ref: 1, event: { type: 'orders.created', data: {} }, stream: undefined, expectedVersion: undefined });
 * ```
 */
export async function publishMessage(
  deps: { ctx: HubContext; principal: Principal },
  message: PublishMessage,
): Promise<AckMessage | ScheduledAckMessage> {
  const { ctx, principal } = deps;
  const source =
    principal.id === 'anonymous' ? ctx.defaultSource : `/clients/${encodeURIComponent(principal.id)}`;
  const event = validateEvent({ specversion: '1.0', id: uuidv7(), time: isoNow(), source, ...message.event });
  assertCanPublish(principal, event.type);
  if (message.stream !== undefined) assertCanUseStream(principal, message.stream);
  if (event.deliverat !== undefined) {
    if (message.expectedVersion !== undefined) {
      throw new HeraldError(
        'INVALID_EVENT',
        'an expected version cannot be checked for a scheduled delivery',
        {
          details: { attribute: 'deliverat', rule: 'no-expected-version' },
        },
      );
    }
    if (typeof event.deliverat !== 'string') {
      throw new HeraldError('INVALID_EVENT', 'deliverat must be an RFC 3339 time string', {
        details: { attribute: 'deliverat', rule: 'timestamp' },
      });
    }
    const [scheduled] = await ctx.log.schedule([event], {
      deliverAt: event.deliverat,
      ...(message.stream !== undefined && { stream: message.stream }),
    });
    if (!scheduled!.duplicate) ctx.metrics.scheduled();
    return { type: 'scheduled', ...(message.ref !== undefined && { ref: message.ref }), ...scheduled! };
  }
  const [appended] = await ctx.log.append([event], {
    ...(message.stream !== undefined && { stream: message.stream }),
    ...(message.expectedVersion !== undefined && { expectedVersion: message.expectedVersion }),
  });
  if (!appended!.duplicate) ctx.metrics.published(event.type);
  return {
    type: 'ack',
    ...(message.ref !== undefined && { ref: message.ref }),
    id: appended!.id,
    position: appended!.position,
    stream: appended!.stream ?? null,
    version: appended!.version ?? null,
    duplicate: appended!.duplicate,
  };
}
