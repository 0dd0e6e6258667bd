import type { HeraldEvent } from '../event/types.js';
import { memoryScheduleStore } from '../log/kit/memory-schedule-store.js';
import { dueString, dueTime, Scheduling } from '../log/kit/schedule.js';
import type {
  EventLog,
  LogSubscription,
  ScheduleOptions,
  ScheduledEvent,
  ScheduledPageOptions,
} from '../log/types.js';
import { invalidOption } from '../log/invalid-option.js';

/** The timing options of a delayed publish. */
export interface DelayOptions {
  /** Deliver this many ms from now. */
  delayMs?: number;
  /** Deliver at this time: a Date, an RFC 3339 string with an offset, or Unix ms. */
  deliverAt?: Date | string | number;
  /** The CloudEvents extension attribute, as it arrives over HTTP: the same as `deliverAt`. */
  deliverat?: unknown;
}

/** What the broker lends the delayed publishes. */
export interface DelayedHost {
  readonly log: EventLog | undefined;
  /** Delivers a due event to this broker's in-process subscriptions (and over its transport). */
  deliver(event: HeraldEvent): Promise<unknown>;
  onError(error: unknown, event: HeraldEvent | undefined): void;
}

/**
 * The broker's delayed and scheduled publishes. With a log, events go to the log's schedule store
 * (`EventLog.schedule`): durable, moved by any process with the log open, and when due they reach
 * everything that reads the log (durable subscriptions of every broker, tails, the hub's SSE and
 * WebSocket); this broker's in-process subscriptions get them from a tail of the log (every event
 * carrying `deliverat` appended after the first in-process subscription or delayed publish).
 * Without a log, they wait in this process's memory (lost with it) and are delivered to its
 * in-process subscriptions, and over the transport, when due.
 */
export class DelayedPublishes {
  readonly #host: DelayedHost;
  #local: Scheduling | undefined;
  #tail: LogSubscription | undefined;
  #tailing: Promise<void> | undefined;
  #closed = false;

  constructor(host: DelayedHost) {
    this.#host = host;
  }

  /** The schedule of `options` (`delayMs`, `deliverAt` or a `deliverat` attribute), or undefined for now. */
  static timing(options: DelayOptions | undefined): ScheduleOptions | undefined {
    if (options === undefined) return undefined;
    const { delayMs, deliverAt, deliverat } = options;
    if (delayMs === undefined && deliverAt === undefined && deliverat === undefined) return undefined;
    if (deliverat !== undefined && (deliverAt !== undefined || delayMs !== undefined)) {
      throw invalidOption(
        'deliverat',
        deliverat,
        'only one of delayMs, deliverAt and the deliverat attribute',
      );
    }
    if (deliverat !== undefined) {
      if (typeof deliverat !== 'string') throw invalidOption('deliverat', deliverat, 'an RFC 3339 time');
      return { deliverAt: deliverat };
    }
    return delayMs === undefined
      ? { deliverAt }
      : deliverAt === undefined
        ? { delayMs }
        : { delayMs, deliverAt };
  }

  /** Schedules `events` (built by the broker, types checked); resolves with them as scheduled. */
  async schedule(
    events: HeraldEvent[],
    timing: ScheduleOptions,
    stream: string | undefined,
  ): Promise<HeraldEvent[]> {
    const deliverat = dueString(dueTime(timing, Date.now()));
    const scheduled = events.map((event) => ({ ...event, deliverat }));
    const options: ScheduleOptions = { deliverAt: deliverat, ...(stream !== undefined && { stream }) };
    const { log } = this.#host;
    if (log !== undefined) {
      this.startTail();
      await log.schedule(scheduled, options);
    } else {
      await this.#memory().schedule(scheduled, options);
    }
    return scheduled;
  }

  cancel(id: string): Promise<boolean> {
    return this.#host.log?.cancelScheduled(id) ?? this.#memory().cancelScheduled(id);
  }

  list(options?: ScheduledPageOptions): Promise<ScheduledEvent[]> {
    return this.#host.log?.scheduled(options) ?? this.#memory().scheduled(options);
  }

  /** With a log: starts (once) the tail that hands due scheduled events to in-process subscriptions. */
  startTail(): void {
    const { log } = this.#host;
    if (log === undefined || this.#tail !== undefined || this.#closed) return;
    const tail = log.subscribe({ from: 'end' });
    this.#tail = tail;
    this.#tailing = (async () => {
      try {
        for await (const event of tail) {
          if (!('deliverat' in event)) continue;
          try {
            await this.#host.deliver(event);
          } catch (error) {
            this.#host.onError(error, event);
          }
        }
      } catch (error) {
        if (!this.#closed) this.#host.onError(error, undefined);
      }
    })();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#local?.close();
    await this.#tail?.close();
    await this.#tailing;
  }

  #memory(): Scheduling {
    this.#local ??= new Scheduling(memoryScheduleStore(), async (events) => {
      for (const event of events) {
        try {
          await this.#host.deliver(event);
        } catch (error) {
          this.#host.onError(error, event);
        }
      }
      return [];
    });
    return this.#local;
  }
}
