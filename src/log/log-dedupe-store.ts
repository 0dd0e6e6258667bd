import { createHash } from 'node:crypto';
import type { DedupeStore } from '../delivery/dedupe.js';
import type { EventLog } from './types.js';

/** Options of `logDedupeStore`. */
export interface LogDedupeStoreOptions {
  /** Namespace of the keys: stores with different prefixes never see each other's keys (default `herald`). */
  prefix?: string;
  /** The type of the marker events (default `herald.dedupe`). */
  type?: string;
}

/**
 * Seen ids kept in a durable log through its own dedup by event id, so the `dedupe` policy holds
 * across every process on a shared SQLite or PostgreSQL log (or any log). `firstSeen(key)` appends
 * a marker event (`type` `herald.dedupe`, id `dedupe-` + a SHA-256 of prefix and key, `data.key`)
 * and answers true unless the log reports it as a `duplicate`.
 *
 * The window is the log's retention, not `windowMs`: a key is remembered for as long as its
 * marker is kept, which with no retention limit is forever. The markers are ordinary events:
 * readers and subscriptions of `>` see them (filter `herald.dedupe` out, or pick another `type`).
 * When the log fails, `firstSeen` rejects, so the delivery attempt fails instead of passing a
 * possible duplicate.
 *
 * @example
 * ```ts
 * const log = await sqliteLog({ path: './herald-data/events.db' });
 * const store = logDedupeStore(log, { prefix: 'billing' });
 * broker.subscribe('payment.captured', capture, { dedupe: { store } });
 * ```
 */
export function logDedupeStore(log: EventLog, options: LogDedupeStoreOptions = {}): DedupeStore {
  const prefix = options.prefix ?? 'herald';
  const type = options.type ?? 'herald.dedupe';
  return {
    async firstSeen(key) {
      const id = `dedupe-${createHash('sha256').update(prefix).update('\u0000').update(key).digest('hex').slice(0, 40)}`;
      const [appended] = await log.append([{ id, type, source: 'herald', data: { key } }]);
      return appended !== undefined && !appended.duplicate;
    },
  };
}
