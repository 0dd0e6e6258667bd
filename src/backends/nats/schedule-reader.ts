import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { decode, type BatchMessage } from './schedule-codec.js';

/** One message of a batch subject as read. */
export interface ReadBatchMessage {
  readonly subject: string;
  readonly seq: number;
  readonly message: BatchMessage;
  /** When the server stored it, Unix ms. */
  readonly time: number;
}

/** Messages fetched per pull. */
const FETCH = 1_000;

/**
 * Every message of `stream` on `filter` from sequence `from` on (up to the first one `stop`
 * accepts, when given), read with an ephemeral pull
 * consumer made for this read (its `num_pending` says how many to fetch; deleted after, and
 * removed by the server within 30 s if this process dies first). Internal.
 *
 * @example
 * ```ts
 * const messages = await readFiltered(js, jsm, 'HERALD_SCHED', 'herald_sched.d.29000000.*', 1);
 * ```
 */
export async function readFiltered(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  from: number,
  stop?: (m: ReadBatchMessage) => boolean,
): Promise<ReadBatchMessage[]> {
  const info = await jsm.consumers.add(stream, {
    filter_subject: filter,
    ack_policy: AckPolicy.None,
    ...(from > 1
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }
      : { deliver_policy: DeliverPolicy.All }),
    inactive_threshold: nanos(30_000),
    mem_storage: true,
  });
  const out: ReadBatchMessage[] = [];
  try {
    let remaining = info.num_pending;
    if (remaining === 0) return out;
    const consumer = await js.consumers.get(stream, info.name);
    while (remaining > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(remaining, FETCH), expires: 2_000 });
      let got = 0;
      for await (const m of batch) {
        const read = {
          subject: m.subject,
          seq: m.seq,
          message: decode(m.data) as BatchMessage,
          time: m.info.timestampNanos / 1e6,
        };
        out.push(read);
        got++;
        remaining = stop?.(read) === true ? 0 : m.info.pending;
        if (remaining === 0) break;
      }
      if (got === 0) break; // purged meanwhile
    }
    return out;
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => false);
  }
}
