import type { StoredEvent } from '../../log/types.js';
import type { BatchMark } from './message-codec.js';

/**
 * How far apart in JetStream's own time the first and last messages of a batch may be stored.
 * A batch spanning more is not visible (its writer's acks timed out long before).
 */
export const BATCH_SPAN_MS = 5_000;

/**
 * How long past `BATCH_SPAN_MS` (by this process's clock) a reader holding part of a batch waits
 * for the rest before it decides that the batch is not visible: its writer died mid-batch and
 * nobody appended since. Covers clock skew and delivery delays.
 */
export const BATCH_GRACE_MS = 30_000;

/** One message of the stream, as the ordered consumer hands it over, in sequence order. */
export interface FedMessage {
  readonly event: StoredEvent;
  readonly batch: BatchMark | undefined;
  /** JetStream's receive time. */
  readonly timeMs: number;
}

/**
 * Decides, message by message in sequence order, which events are visible: a single event
 * always; the events of a batch of `n` only when its messages 1..n sit at consecutive sequences,
 * stored within `BATCH_SPAN_MS` of each other. Anything else (a batch another writer cut into,
 * whose writer takes it back, or whose writer died half-way) is invisible, the same way to every
 * reader, because the rule reads only what is stored. `visible` gets each visible run, `decided`
 * the sequence up to which everything is decided. Internal.
 *
 * @example
 * ```ts
 * const assembler = new BatchAssembler((events) => index.addAll(events), (seq) => index.decide(seq));
 * assembler.push({ event, batch, timeMs });
 * ```
 */
export class BatchAssembler {
  readonly #visible: (events: readonly StoredEvent[]) => void;
  readonly #decided: (seq: number) => void;
  #pending: FedMessage[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(visible: (events: readonly StoredEvent[]) => void, decided: (seq: number) => void) {
    this.#visible = visible;
    this.#decided = decided;
  }

  /** True while part of a batch waits for the rest. */
  get holding(): boolean {
    return this.#pending.length > 0;
  }

  push(message: FedMessage): void {
    const last = this.#pending.at(-1);
    const { batch } = message;
    if (
      last !== undefined &&
      batch !== undefined &&
      batch.id === last.batch!.id &&
      batch.index === this.#pending.length + 1 &&
      message.event.position === last.event.position + 1
    ) {
      this.#pending.push(message);
    } else {
      // Anything else ends a batch being held: it was cut into and is not visible.
      this.#drop();
      if (batch !== undefined && batch.index !== 1) {
        this.#decided(message.event.position); // a piece of a batch whose start is not here
        return;
      }
      this.#pending = [message];
      if (batch !== undefined && batch.size > 1) {
        this.#timer = setTimeout(() => this.#drop(), BATCH_SPAN_MS + BATCH_GRACE_MS);
        this.#timer.unref();
      }
    }
    const first = this.#pending[0]!;
    const size = first.batch?.size ?? 1;
    if (this.#pending.length < size) return;
    const complete = this.#pending;
    this.#clear();
    if (message.timeMs - first.timeMs <= BATCH_SPAN_MS) this.#visible(complete.map((m) => m.event));
    this.#decided(message.event.position);
  }

  /** Drops the batch being held (not visible) and moves the decided point past it. */
  #drop(): void {
    const last = this.#pending.at(-1);
    this.#clear();
    if (last !== undefined) this.#decided(last.event.position);
  }

  #clear(): void {
    this.#pending = [];
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.#clear();
  }
}
