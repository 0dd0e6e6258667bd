import { describeError } from '../../errors/index.js';
import { eventStatus } from '../../log/event-status.js';
import { nackDelay, type ResolvedGroupOptions } from '../../log/group-options.js';
import { deadLetterPage, pendingPage } from '../../log/group-page.js';
import { checkInteger, checkMillis } from '../../log/invalid-option.js';
import { waitForAny } from '../../log/notifier.js';
import { settle } from '../../log/settle.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type {
  ConsumerGroup,
  EventStatus,
  GroupDeadLetter,
  GroupDelivery,
  GroupInfo,
  GroupPageOptions,
  GroupPending,
  StoredEvent,
} from '../../log/types.js';
import {
  bury,
  claimOp,
  rowOptions,
  selectGroup,
  type Claim,
  type GroupRow,
  type GroupTypes,
} from './group-store.js';
import type { LogContext } from './log-context.js';
import { lastPosition } from './read-plan.js';
import { isoAt } from '../../log/stored-json.js';
import { typeSet, type TypeSet } from './type-set.js';

/**
 * A consumer group of the SQLite log. Its whole state (options, cursor, pending deliveries with
 * their counts and deadlines, dead letters) is in the database, so it survives a restart and is
 * shared by members in other processes; this object only caches the options it last read.
 * Internal: obtained through `log.group(name)`.
 */
export class SqliteGroup implements ConsumerGroup {
  readonly name: string;
  readonly #ctx: LogContext;
  readonly #id: number;
  #row: GroupRow;
  #options: ResolvedGroupOptions;
  #matches: (type: string) => boolean;
  #types: TypeSet | undefined;

  constructor(ctx: LogContext, row: GroupRow) {
    this.#ctx = ctx;
    this.name = row.name;
    this.#id = row.id;
    this.#row = row;
    this.#options = rowOptions(row);
    this.#matches = typeMatcher(this.#options.types);
    this.#types = typeSet(this.#options.types);
  }

  get options(): ResolvedGroupOptions {
    return this.#options;
  }

  /** Takes the options of a fresher row (another `group()` call, or another process). */
  refresh(row: GroupRow): void {
    const changed = row.types !== this.#row.types;
    this.#row = row;
    this.#options = rowOptions(row);
    if (changed) {
      this.#matches = typeMatcher(this.#options.types);
      this.#types = typeSet(this.#options.types);
    }
  }

  async pull(
    options: { max?: number; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<GroupDelivery[]> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const max = checkInteger('max', options.max ?? 1, 1);
    const waitMs = checkMillis('waitMs', options.waitMs ?? 0, 0);
    const { signal } = options;
    const deadline = Date.now() + waitMs;
    const stopped = (): boolean => ctx.closed || signal?.aborted === true;
    // The first look claims at once (a round that finds nothing writes nothing); later looks
    // first check, without the write lock, whether anything is there.
    for (let first = true; ; first = false) {
      if (stopped()) return [];
      if (first || this.#readyAt() <= Date.now()) {
        const claims = await this.#claim(max);
        if (claims.length > 0) return claims.map((claim) => this.#delivery(claim));
        if (stopped()) return [];
      }
      const now = Date.now();
      if (now >= deadline) return [];
      const readyAt = this.#readyAt();
      if (readyAt <= now) continue;
      const wake = Math.min(deadline, readyAt, now + ctx.options.pollIntervalMs) - now;
      await waitForAny([ctx.appended], wake, signal);
    }
  }

  /** When a pull could get something: 0 if events follow the cursor, else the next due time. */
  #readyAt(): number {
    const { sql } = this.#ctx;
    const row = selectGroup(sql, this.name)!;
    if (lastPosition(sql) > row.cursor) return 0;
    const { due_at: dueAt } = sql['select-next-due'].get(this.#id) as { due_at: number | null };
    return dueAt ?? Infinity;
  }

  async #claim(max: number): Promise<Claim[]> {
    const types = (fresh: GroupRow): GroupTypes => {
      this.refresh(fresh);
      return { set: this.#types, matches: this.#matches };
    };
    const claim = claimOp(this.#ctx.sql, this.name, types, max);
    const { row, claims } = await this.#ctx.queue.submit(claim);
    this.refresh(row);
    return claims;
  }

  #delivery({ event, json, deliveryCount, token }: Claim): GroupDelivery {
    const ctx = this.#ctx;
    const { sql } = ctx;
    const id = this.#id;
    const position = event.position;
    return {
      event,
      deliveryCount,
      ack: async () => {
        ctx.assertOpen();
        // Even a stale delivery's ack counts: the handler did the work.
        await ctx.queue.submit({ weight: 1, run: () => void sql['delete-pending'].run(id, position) });
      },
      nack: async (options = {}) => {
        ctx.assertOpen();
        const delay = nackDelay(this.#options.backoff, deliveryCount, options.delayMs);
        const error = options.error === undefined ? undefined : describeError(options.error);
        const { maxDeliveries } = this.#options;
        await ctx.queue.submit({
          weight: 1,
          run: (round) => {
            const pending = sql['select-pending'].get(id, position) as PendingRow | undefined;
            // A nack of a delivery redelivered since belongs to a member that lost it.
            if (pending?.token !== token) return;
            const lastError = error ?? pending.last_error;
            if (options.deadLetter === true || pending.deliveries >= maxDeliveries) {
              bury(sql, id, position, json, pending.deliveries, lastError, round.now);
              return;
            }
            sql['nack-pending'].run(round.now + delay, lastError, id, position);
            round.wake = true;
          },
        });
      },
    };
  }

  info(): Promise<GroupInfo> {
    const ctx = this.#ctx;
    const { sql } = ctx;
    return this.#snapshot((): GroupInfo => {
      const row = selectGroup(sql, this.name)!;
      const stats = sql['select-group-stats'].get({ group: this.#id }) as GroupStats;
      const types = this.#types;
      types?.refresh(sql);
      const lag =
        types?.types.length === 0
          ? 0
          : (sql['count-after'].get({ cursor: row.cursor, types: types?.json ?? null }) as { n: number }).n;
      return {
        name: this.name,
        ackedPosition: stats.first_pending === null ? row.cursor : stats.first_pending - 1,
        deliveredPosition: row.cursor,
        pending: stats.pending,
        lag,
        deadLetters: stats.dead_letters,
      };
    });
  }

  status(position: number): Promise<EventStatus | undefined> {
    const { sql } = this.#ctx;
    return this.#snapshot(() => {
      const row = selectGroup(sql, this.name)!;
      const pending = sql['select-pending'].get(this.#id, position) as PendingRow | undefined;
      const event = sql['select-event-by-position'].get(position) as { type: string } | undefined;
      return eventStatus({
        matches: event !== undefined && this.#matches(event.type),
        afterStart: position > row.start_position,
        delivered: position <= row.cursor,
        dead: sql['select-dead-letter'].get(this.#id, position) !== undefined,
        pending: pending === undefined ? undefined : { due: pending.due_at <= Date.now() },
      });
    });
  }

  /** One page by the dead letters' key (group, position): O(limit). */
  deadLetters(options: GroupPageOptions = {}): Promise<GroupDeadLetter[]> {
    return this.#snapshot(() => {
      const { limit, after } = deadLetterPage(options);
      const rows = this.#ctx.sql['select-dead-letters'].all(this.#id, after, limit) as DeadRow[];
      return rows.map((r) => ({
        event: JSON.parse(r.event) as StoredEvent,
        deliveries: r.deliveries,
        error: r.error ?? undefined,
        at: isoAt(r.dead_at),
      }));
    });
  }

  /**
   * One page of `group_pending` by its key (position, group), from `after`: O(limit) rows of this
   * group plus the pending rows of other groups at positions in between.
   */
  pending(options: GroupPageOptions = {}): Promise<GroupPending[]> {
    return this.#snapshot(() => {
      const { limit, after } = pendingPage(options);
      const params = { group: this.#id, after, limit };
      const rows = this.#ctx.sql['select-pending-page'].all(params) as PendingPageRow[];
      return rows.map((r) => ({
        event: JSON.parse(r.event) as StoredEvent,
        deliveries: r.deliveries,
        error: r.last_error ?? undefined,
        dueAt: isoAt(r.due_at),
      }));
    });
  }

  /** Runs reads in one read transaction (one snapshot), as a promise. */
  #snapshot<T>(read: () => T): Promise<T> {
    return settle(() => {
      this.#ctx.assertOpen();
      return this.#ctx.db.transaction(read)();
    });
  }

  async redrive(positions?: readonly number[]): Promise<number> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const params = { group: this.#id, positions: positions === undefined ? null : JSON.stringify(positions) };
    return ctx.queue.submit({
      weight: 1,
      run: (round) => {
        ctx.sql['redrive-dead-letters'].run({ ...params, now: round.now });
        const count = ctx.sql['delete-redriven-dead-letters'].run(params).changes;
        if (count > 0) round.wake = true;
        return count;
      },
    });
  }

  async purge(positions?: readonly number[]): Promise<number> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const params = { group: this.#id, positions: positions === undefined ? null : JSON.stringify(positions) };
    return ctx.queue.submit({ weight: 1, run: () => ctx.sql['purge-dead-letters'].run(params).changes });
  }
}

interface PendingRow {
  readonly deliveries: number;
  readonly due_at: number;
  readonly last_error: string | null;
  readonly token: number;
}

interface PendingPageRow {
  readonly event: string;
  readonly deliveries: number;
  readonly due_at: number;
  readonly last_error: string | null;
}

interface GroupStats {
  readonly pending: number;
  readonly first_pending: number | null;
  readonly dead_letters: number;
}

interface DeadRow {
  readonly event: string;
  readonly deliveries: number;
  readonly error: string | null;
  readonly dead_at: number;
}
