import type { EventLog } from '../../log/types.js';
import type { HubMetrics } from '../metrics.js';
import { countDeliveries, reportDeliveries } from './delivery-report.js';
import { FeedEntry } from './feed-entry.js';
import type { Subscriber } from './feed-subscriber.js';

/** Events read from the log per page while a client catches up. */
const PAGE = 256;
/** Bytes of JSON per page: a page of big events stops early rather than fill the memory. */
const PAGE_BYTES = 1024 * 1024;
/** Bytes of events per write. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Writes one page of the log after the subscriber's position (its types, what its principal
 * may read), in chunks, waiting for each chunk to drain. Afterwards `subscriber.position` is
 * the position the subscriber is covered to: the last event read when the page was cut (by
 * count or bytes), or the end of the log as it was before the read when the log ran out first
 * (everything up to it was read).
 *
 * @example
 * ```ts
 * while (subscriber.position < ring.floor) await replayPage(log, metrics, subscriber);
 * ```
 */
export async function replayPage(log: EventLog, metrics: HubMetrics, subscriber: Subscriber): Promise<void> {
  const { patterns } = subscriber.options;
  const { last } = await log.bounds();
  const entries: FeedEntry[] = [];
  let read = 0;
  let bytes = 0;
  let lastRead = 0;
  let cut = false;
  for await (const event of log.read({
    from: subscriber.position + 1,
    limit: PAGE,
    ...(patterns !== undefined && { types: patterns }),
  })) {
    read++;
    lastRead = event.position;
    if (subscriber.accepts(event.type)) {
      const entry = new FeedEntry(event, -1);
      entries.push(entry);
      bytes += entry.json.length;
    }
    if (bytes >= PAGE_BYTES) {
      cut = true;
      break;
    }
  }
  const through = cut || read === PAGE ? lastRead : Math.max(last, lastRead);
  let from = 0;
  let chunkBytes = 0;
  for (let i = 0; i < entries.length; i++) {
    chunkBytes += entries[i]!.json.length;
    if (chunkBytes >= CHUNK_BYTES || i === entries.length - 1) {
      await writeChunk(metrics, subscriber, entries.slice(from, i + 1), entries[i]!.position);
      from = i + 1;
      chunkBytes = 0;
    }
  }
  await writeChunk(metrics, subscriber, [], through);
}

async function writeChunk(
  metrics: HubMetrics,
  subscriber: Subscriber,
  chunk: readonly FeedEntry[],
  through: number,
): Promise<void> {
  if (subscriber.state !== 'catching-up') return;
  let drained = true;
  if (chunk.length > 0) {
    countDeliveries(subscriber.sink.transport, chunk);
    drained = subscriber.sink.write(chunk);
    for (const entry of chunk) reportDeliveries(metrics, entry);
  }
  if (through > subscriber.position) subscriber.position = through;
  if (!drained) await new Promise<void>((resolve) => (subscriber.drained = resolve));
}
