import { byRecorded } from '../../log/event-list.js';
import { checkInteger } from '../../log/invalid-option.js';
import { MemorySubscription } from '../../log/memory-subscription.js';
import { checkLogPosition } from '../../log/read-filter.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type { LogSubscribeOptions, LogSubscription, StoredEvent } from '../../log/types.js';
import type { EventIndex } from './event-index.js';

/**
 * A live tail over the log's index (fed in sequence order by the ordered consumer). Internal.
 *
 * @example
 * ```ts
 * const tail = indexSubscription(index, { from: 'start', types: ['order.>'] });
 * ```
 */
export function indexSubscription(index: EventIndex, options: LogSubscribeOptions): LogSubscription {
  const from = checkLogPosition('from', options.from ?? 'end');
  const batchSize = checkInteger('batchSize', options.batchSize ?? 256, 1);
  const matchesType = typeMatcher(options.types);
  let matches = (event: StoredEvent): boolean => matchesType(event.type);
  const events = index.events;
  let after = from === 'start' ? 0 : from === 'end' ? index.lastSeq : Math.max(0, Number(from) - 1);
  if (from instanceof Date) {
    const ms = from.getTime();
    after = (events.at(events.lowerBound(ms, byRecorded))?.position ?? index.lastSeq + 1) - 1;
    matches = (event) => matchesType(event.type) && Date.parse(event.recordedat) >= ms;
  }
  const subscription = new MemorySubscription(index, after, matches, batchSize);
  index.track(subscription);
  return subscription;
}
