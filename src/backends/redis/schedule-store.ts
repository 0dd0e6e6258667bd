import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HeraldEvent } from '../../event/types.js';
import type { ScheduleCursor, ScheduleEntry, ScheduleStore } from '../../log/kit/schedule.js';
import type { RedisContext } from './log-context.js';

/** How an entry is stored in the entries hash. */
interface StoredEntry {
  readonly dueAt: number;
  readonly event: HeraldEvent;
  readonly stream?: string;
}

/**
 * How long a call's own key outlives its retry budget: a retried call (its reply lost with the
 * connection) finds it for as long as the call may be retried, and a little longer.
 */
const CALL_KEY_EXTRA_MS = 60_000;

const MAX_TIMER = 2 ** 31 - 1;

function token(): string {
  return randomBytes(12).toString('base64url');
}

function entryOf(json: string): ScheduleEntry {
  const stored = JSON.parse(json) as StoredEntry;
  return { id: stored.event.id, dueAt: stored.dueAt, event: stored.event, stream: stored.stream };
}

/**
 * The Redis log's schedule store: four keys under the log's prefix (see `LogKeys.schedule`) and
 * one Lua script per operation, so each is atomic among every process on the prefix.
 *
 * - `add` (schedule-add.lua): HSET of each entry's JSON, ZADD to the untaken and the pending zsets
 *   (scored by due ms), unless the id is pending already (ZMSCORE); then a PUBLISH on the log's
 *   wake-up channel.
 * - `claim` (schedule-claim.lua): ZRANGEBYSCORE of the taken zset up to now (leases that ran out),
 *   then of the untaken zset, moved to the taken zset scored by the lease end: O(log N + taken).
 * - `complete`, `cancel` (only while untaken), `nextDue` (the first member of both zsets; a claim
 *   and a complete answer it too, for the mover's look right after), `list`
 *   (a rank in the pending zset found in O(log N), then one ZRANGE and HMGET).
 * - `watch`: SUBSCRIBE on a connection of its own (the log's blocking reader cannot subscribe);
 *   another process's add wakes the mover at the added entry's due time.
 *
 * `add`, `claim` and `cancel` keep a short-lived key per call, so a call retried after its reply
 * was lost answers what it did the first time. Every call retries like the log's own (for
 * `retryTimeoutMs`, then `LOG_UNREACHABLE`).
 *
 * @example
 * ```ts
 * const store = new RedisScheduleStore(ctx, () => ctx.client.duplicate());
 * const scheduling = new Scheduling(store, (events, o) => log.append(events, o));
 * ```
 */
export class RedisScheduleStore implements ScheduleStore {
  readonly #ctx: RedisContext;
  readonly #subscriber: () => Redis;
  /** Tells this store's own wake-ups from other processes'. */
  readonly #token = token();
  /**
   * What the last claim or complete said `nextDue` was then, for the `nextDue` call the mover
   * makes right after (it saves a round trip per move); used once. Anything added meanwhile wakes
   * the mover anyway (its own `schedule`, or `watch`), as it would after a `nextDue` call.
   */
  #next: { value: number | undefined } | undefined;

  /** `subscriber` makes the connection `watch` subscribes on (ended by the unwatch). */
  constructor(ctx: RedisContext, subscriber: () => Redis) {
    this.#ctx = ctx;
    this.#subscriber = subscriber;
  }

  get #keepMs(): number {
    return this.#ctx.options.retryTimeoutMs + CALL_KEY_EXTRA_MS;
  }

  async add(entries: readonly ScheduleEntry[]): Promise<(number | undefined)[]> {
    this.#next = undefined;
    const k = this.#ctx.keys.schedule;
    const args: (string | number)[] = [k.added, this.#token, this.#keepMs, entries.length];
    for (const { id, dueAt, event, stream } of entries) {
      const stored: StoredEntry = stream === undefined ? { dueAt, event } : { dueAt, event, stream };
      args.push(id, dueAt, JSON.stringify(stored));
    }
    const callKey = this.#ctx.keys.scheduleCall(token());
    const reply = (await this.#ctx.script(
      'schedule-add',
      [k.entries, k.untaken, k.pending, callKey],
      args,
    )) as string[];
    return reply.map((found) => (found === '' ? undefined : Number(found)));
  }

  async claim(now: number, max: number, leaseMs: number): Promise<ScheduleEntry[]> {
    const k = this.#ctx.keys.schedule;
    const callKey = this.#ctx.keys.scheduleCall(token());
    this.#next = undefined;
    const [next, ...jsons] = (await this.#ctx.script(
      'schedule-claim',
      [k.entries, k.untaken, k.taken, callKey],
      [Math.floor(now), max, leaseMs, this.#keepMs],
    )) as [string, ...string[]];
    this.#next = { value: next === '' ? undefined : Number(next) };
    return jsons.map(entryOf);
  }

  async complete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const k = this.#ctx.keys.schedule;
    this.#next = undefined;
    const next = (await this.#ctx.script(
      'schedule-complete',
      [k.entries, k.untaken, k.taken, k.pending],
      ids,
    )) as string;
    this.#next = { value: next === '' ? undefined : Number(next) };
  }

  async cancel(id: string): Promise<boolean> {
    const k = this.#ctx.keys.schedule;
    const callKey = this.#ctx.keys.scheduleCall(token());
    const reply = await this.#ctx.script(
      'schedule-cancel',
      [k.entries, k.untaken, k.pending, callKey],
      [id, this.#keepMs],
    );
    return Number(reply) === 1;
  }

  async list(limit: number, after: ScheduleCursor | undefined): Promise<ScheduleEntry[]> {
    const k = this.#ctx.keys.schedule;
    const reply = (await this.#ctx.script(
      'schedule-list',
      [k.pending, k.entries],
      [limit, after === undefined ? '' : Math.floor(after.dueAt), after?.id ?? ''],
    )) as string[];
    return reply.map(entryOf);
  }

  async nextDue(): Promise<number | undefined> {
    const known = this.#next;
    this.#next = undefined;
    if (known !== undefined) return known.value;
    const k = this.#ctx.keys.schedule;
    const reply = (await this.#ctx.script('schedule-next', [k.untaken, k.taken], [])) as string | null;
    return reply === null ? undefined : Number(reply);
  }

  /**
   * Wakes `listener` when another store adds an entry: at the entry's due time (one timer, for
   * the earliest such time: by then the mover asks `nextDue` and sees the rest), and after the
   * subscriber reconnected (a wake-up may have been missed meanwhile).
   */
  watch(listener: () => void): () => void {
    const sub = this.#subscriber();
    const channel = this.#ctx.keys.schedule.added;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timerAt = Infinity;
    const wakeAt = (at: number): void => {
      if (stopped) return;
      const inMs = at - Date.now();
      if (inMs <= 0) {
        listener();
        return;
      }
      if (timer !== undefined && at >= timerAt) return;
      if (timer !== undefined) clearTimeout(timer);
      timerAt = at;
      timer = setTimeout(
        () => {
          timer = undefined;
          timerAt = Infinity;
          if (!stopped) listener();
        },
        Math.min(Math.ceil(inMs), MAX_TIMER),
      );
      timer.unref();
    };
    sub.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      const space = text.indexOf(' ');
      if (text.slice(0, space) === this.#token) return; // this store's own: its mover knows
      const due = Number(text.slice(space + 1));
      this.#next = undefined;
      wakeAt(Number.isFinite(due) ? due : 0);
    });
    let readyBefore = false;
    sub.on('ready', () => {
      // ioredis subscribes again by itself after a reconnect; what was added meanwhile is unheard.
      if (readyBefore) wakeAt(0);
      readyBefore = true;
    });
    sub.on('error', () => undefined);
    sub.subscribe(channel).catch(() => undefined); // without it, the mover polls
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      sub.disconnect();
    };
  }
}
