import type { EventLog } from '../../log/types.js';
import { NatsLog } from './nats-log.js';
import type { NatsLogOptions } from './options.js';

/**
 * An `EventLog` on one NATS JetStream stream (file storage). Event type `t` is published on
 * subject `<subjectPrefix>.t`, so a plain NATS subscriber to `<subjectPrefix>.orders.>` sees
 * Herald's `orders.>` events; the position is the JetStream sequence; a Herald stream and version
 * travel in the `Herald-Stream` and `Herald-Version` headers; the event id is the `Nats-Msg-Id`.
 * Every append expects the stream's last sequence (`Nats-Expected-Last-Sequence`), so the
 * expected-version check and the batch are atomic against every other writer (a batch another
 * writer cut into is deleted and retried). A consumer group is a durable pull consumer (AckWait,
 * `nak(delay)`; `maxDeliveries` counted by the client) with its dead letters in the stream
 * `<stream>_DLQ`. Scheduled events (`schedule`) wait in the streams `<stream>_SCHED` and
 * `<stream>_SCHED_BUCKETS` (made by the first `schedule`) until a mover appends them; the
 * `scheduler` option says how this log object moves them. See docs/nats.md
 * for the whole mapping and the limits.
 *
 * @example
 * ```ts
 * import { natsLog } from 'herald/nats';
 * const log = await natsLog({ servers: '127.0.0.1:4222', stream: 'HERALD', subjectPrefix: 'herald' });
 * await log.append([{ type: 'orders.created', data: { id: 'o-1' } }], { stream: 'order-o-1', expectedVersion: 'no_stream' });
 * for await (const e of log.read({ types: ['orders.>'] })) console.log(e.position, e.type);
 * await log.close();
 * ```
 */
export function natsLog(options: NatsLogOptions): Promise<EventLog> {
  return NatsLog.open(options);
}
