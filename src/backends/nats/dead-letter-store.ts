import type { JetStreamClient, JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { GroupDeadLetter, StoredEvent } from '../../log/types.js';
import type { GroupPlace } from './group-naming.js';

export const POSITION_HEADER = 'Herald-Position';
const DELIVERIES_HEADER = 'Herald-Deliveries';
const ERROR_HEADER = 'Herald-Error';
const AT_HEADER = 'Herald-At';
const encoder = new TextEncoder();

/** One stored dead letter: where it is in the dead-letter stream and what it says. */
export interface StoredDeadLetter extends GroupDeadLetter {
  readonly seq: number;
}

/**
 * A group's dead letters, kept in the log's dead-letter stream (`<stream>_DLQ`, subject
 * `_HERALD.<stream>.dlq.<group>`): the event as stored (JSON body, so it outlives the log's
 * retention), its position, the deliveries it had, the last error (JSON in `Herald-Error`) and
 * when it was dead-lettered. Internal.
 *
 * @example
 * ```ts
 * const store = new DeadLetterStore(js, jsm, place);
 * await store.add(event, 2, 'boom');
 * ```
 */
export class DeadLetterStore {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #place: GroupPlace;

  constructor(js: JetStreamClient, jsm: JetStreamManager, place: GroupPlace) {
    this.#js = js;
    this.#jsm = jsm;
    this.#place = place;
  }

  async add(event: StoredEvent, deliveries: number, error: string | undefined): Promise<void> {
    const h = headers();
    h.set(POSITION_HEADER, String(event.position));
    h.set(DELIVERIES_HEADER, String(deliveries));
    h.set(AT_HEADER, new Date().toISOString());
    if (error !== undefined) h.set(ERROR_HEADER, JSON.stringify(error));
    await this.#js.publish(this.#place.dlqSubject, encoder.encode(JSON.stringify(event)), { headers: h });
  }

  async count(): Promise<number> {
    const subject = this.#place.dlqSubject;
    const info = await this.#jsm.streams.info(this.#place.dlqStream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** Every dead letter of the group, oldest position first. */
  async list(): Promise<StoredDeadLetter[]> {
    const out: StoredDeadLetter[] = [];
    let seq = 1;
    for (;;) {
      let m: StoredMsg | null;
      try {
        // `next_by_subj` (nats-server 2.9+): the first message of the subject from `seq` on.
        const query = { seq, next_by_subj: this.#place.dlqSubject } as unknown as MsgRequest;
        m = await this.#jsm.streams.getMessage(this.#place.dlqStream, query);
      } catch (err) {
        if ((err as { code?: unknown }).code === 10037) break; // no message found
        throw err;
      }
      if (m === null) break;
      out.push(this.#decode(m));
      seq = m.seq + 1;
    }
    return out.sort((a, b) => a.event.position - b.event.position);
  }

  #decode(m: StoredMsg): StoredDeadLetter {
    const position = Number(m.header.get(POSITION_HEADER));
    const stored = JSON.parse(new TextDecoder().decode(m.data)) as StoredEvent;
    const error = m.header.get(ERROR_HEADER);
    return {
      seq: m.seq,
      event: Object.freeze({ ...stored, position }),
      deliveries: Number(m.header.get(DELIVERIES_HEADER)),
      error: error === '' ? undefined : (JSON.parse(error) as string),
      at: m.header.get(AT_HEADER),
    };
  }

  async remove(seq: number): Promise<void> {
    await this.#jsm.streams.deleteMessage(this.#place.dlqStream, seq, false).catch(() => false);
  }

  /**
   * Records that a delivery of the event at `position` never reached a member (dropped from a
   * buffer past half its ack wait): it does not count toward `maxDeliveries`.
   */
  async addUnreached(position: number): Promise<void> {
    await this.#js.publish(`${this.#place.unreachedSubject}.${position}`, new Uint8Array(0));
  }

  /**
   * How many deliveries never reached a member, by position, for every event of the group that
   * has such records (one request; the records go once their event is acked or dead-lettered).
   */
  async unreached(): Promise<Map<number, number>> {
    const prefix = `${this.#place.unreachedSubject}.`;
    const info = await this.#jsm.streams.info(this.#place.dlqStream, { subjects_filter: `${prefix}>` });
    const out = new Map<number, number>();
    for (const [subject, count] of Object.entries(info.state.subjects ?? {}))
      out.set(Number(subject.slice(prefix.length)), count);
    return out;
  }

  /** Forgets the unreached deliveries of `position` (its event was acked or dead-lettered). */
  async clearUnreached(position: number): Promise<void> {
    const filter = `${this.#place.unreachedSubject}.${position}`;
    await this.#jsm.streams.purge(this.#place.dlqStream, { filter });
  }

  /** Queues a dead letter's event for redelivery through the redrive consumer. */
  async redrive(letter: StoredDeadLetter): Promise<void> {
    const h = headers();
    h.set(POSITION_HEADER, String(letter.event.position));
    await this.#js.publish(this.#place.redriveSubject, encoder.encode(JSON.stringify(letter.event)), {
      headers: h,
    });
  }
}
