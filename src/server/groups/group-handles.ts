import type { ConsumerGroup, EventLog, GroupOptions } from '../../log/types.js';

/** Group handles kept at most; past it the oldest is dropped (it is opened again when needed). */
const MAX_HANDLES = 1_000;

/**
 * The consumer groups this hub opened for HTTP consumers, by name, with the options it last
 * applied: opening a group is a write on some backends (an upsert, a script), so a pull that asks
 * for the same options as the last one reuses the handle instead of opening it again.
 *
 * @example
 * ```ts
 * const handles = new GroupHandles(log);
 * const group = await handles.open('mailer', { types: ['order.>'], ackWaitMs: 10_000 });
 * ```
 */
export class GroupHandles {
  readonly #log: EventLog;
  readonly #open = new Map<string, { group: ConsumerGroup; key: string }>();

  constructor(log: EventLog) {
    this.#log = log;
  }

  /** The handle opened before, if any (without touching the log). */
  cached(name: string): ConsumerGroup | undefined {
    return this.#open.get(name)?.group;
  }

  /** The group as it exists, if it does: the cached handle, else opened without options. */
  async existing(name: string): Promise<ConsumerGroup | undefined> {
    const cached = this.cached(name);
    if (cached !== undefined) return cached;
    if (!(await this.#log.groups()).includes(name)) return undefined;
    return this.open(name, {});
  }

  /** Applies new options to the group (an update, checked by the caller) and caches the handle. */
  async update(name: string, options: GroupOptions): Promise<ConsumerGroup> {
    this.#open.delete(name);
    return this.open(name, options);
  }

  /**
   * Opens the group (creating it, or applying `options` to it, as `log.group` does), unless this
   * hub already applied the same options; no options reuse any handle.
   */
  async open(name: string, options: GroupOptions): Promise<ConsumerGroup> {
    const key = JSON.stringify(options);
    const entry = this.#open.get(name);
    if (entry !== undefined && (entry.key === key || key === '{}')) return entry.group;
    const group = await this.#log.group(name, options);
    this.#open.delete(name);
    if (this.#open.size >= MAX_HANDLES) this.#open.delete(this.#open.keys().next().value!);
    this.#open.set(name, { group, key });
    return group;
  }
}
