import { describeError } from '../../errors/index.js';
import { eventStatus } from '../../log/event-status.js';
import { nackDelay, resolveGroupOptions, type ResolvedGroupOptions } from '../../log/group-options.js';
import { deadLetterPage, pendingPage } from '../../log/group-page.js';
import { checkInteger, checkMillis } from '../../log/invalid-option.js';
import { waitForAny } from '../../log/notifier.js';
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
import type { PgContext } from './log-context.js';

/** A row of `select-group`. */
export interface GroupRow {
  readonly id: number;
  readonly types: string[];
  readonly ack_wait_ms: number;
  readonly max_deliveries: number;
  readonly backoff: number[];
}

/**
 * The options a group row holds, as `ConsumerGroup.options` shows them.
 *
 * @example
 * ```ts
 * rowOptions(row).ackWaitMs; // 30000
 * ```
 */
export function rowOptions(row: GroupRow): ResolvedGroupOptions {
  return resolveGroupOptions({
    types: row.types,
    ackWaitMs: row.ack_wait_ms,
    maxDeliveries: row.max_deliveries,
    backoff: row.backoff,
  });
}

interface Claim {
  readonly event: StoredEvent;
  readonly deliveryCount: number;
  readonly token: number;
}

interface NewRow {
  readonly event: StoredEvent;
  readonly token: number;
}

const FOREIGN_KEY_VIOLATION = '23503';

interface DueRow {
  readonly position: number;
  readonly deliveries: number;
  readonly token: number;
  readonly event: StoredEvent | null;
  readonly buried: boolean;
}

/** Acks go through the log's batcher, so a pulled batch acked at once shares one statement. */
export type AckFn = (group: number, position: number) => Promise<void>;

/**
 * A consumer group of the PostgreSQL log. Its whole state (options, cursor, pending deliveries
 * with their counts, deadlines and tokens, dead letters) is in the database: it survives a
 * restart and is shared by members in any process. Claims are single statements: due
 * redeliveries with `FOR UPDATE SKIP LOCKED` (members never wait for each other's rows), new
 * events under the group row's lock (the cursor moves one claim at a time). Deadlines use the
 * database's clock, so members on machines whose clocks disagree still agree on what is due.
 * Internal: obtained through `log.group(name)`.
 *
 * @example
 * ```ts
 * const group = await log.group('mailer', { types: ['order.>'] }); // a PgGroup
 * for (const delivery of await group.pull({ max: 10, waitMs: 1000 })) await delivery.ack();
 * ```
 */
export class PgGroup implements ConsumerGroup {
  readonly name: string;
  readonly #ctx: PgContext;
  readonly #ack: AckFn;
  readonly #id: number;
  #options: ResolvedGroupOptions;
  #matches: (type: string) => boolean;

  constructor(ctx: PgContext, name: string, row: GroupRow, ack: AckFn) {
    this.#ctx = ctx;
    this.#ack = ack;
    this.name = name;
    this.#id = row.id;
    this.#options = rowOptions(row);
    this.#matches = typeMatcher(this.#options.types);
  }

  get options(): ResolvedGroupOptions {
    return this.#options;
  }

  /** Takes the options of a fresher row (a later `group()` call). */
  refresh(row: GroupRow): void {
    this.#options = rowOptions(row);
    this.#matches = typeMatcher(this.#options.types);
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
    const changed = ctx.groupWakeup(this.#id);
    const stopped = (): boolean => ctx.closed || signal?.aborted === true;
    for (;;) {
      if (stopped()) return [];
      // Notifications that arrive while the claim runs must not be lost to the wait after it.
      const seen = [ctx.appended.seq, changed.seq];
      const fresh = (): boolean => ctx.appended.seq !== seen[0] || changed.seq !== seen[1];
      const claims = await this.#claim(max, stopped);
      if (claims.length > 0) return claims.map((claim) => this.#delivery(claim));
      if (stopped() || Date.now() >= deadline) return [];
      if (fresh()) continue;
      const dueIn = await this.#dueIn(stopped);
      const left = deadline - Date.now();
      if (dueIn <= 0 || fresh() || stopped()) continue;
      if (left <= 0) return [];
      const wait = Math.min(left, dueIn, ctx.options.pollIntervalMs);
      await waitForAny([ctx.appended.notifier, changed.notifier], wait, signal);
    }
  }

  /** Due redeliveries first (those buried at maxDeliveries do not count), then new events. */
  async #claim(max: number, stopped: () => boolean): Promise<Claim[]> {
    const { sql } = this.#ctx;
    const claims: Claim[] = [];
    for (;;) {
      const want = max - claims.length;
      const rows = (await this.#run<DueRow>(sql.query('claim-due', [this.#id, want]), stopped)).rows;
      let buried = 0;
      for (const row of rows) {
        if (row.buried) buried++;
        else claims.push({ event: row.event!, deliveryCount: row.deliveries, token: row.token });
      }
      if (buried === 0 || rows.length < want || claims.length >= max) break;
    }
    if (claims.length < max) {
      for (const row of await this.#claimNew(max - claims.length, stopped)) {
        claims.push({ event: row.event, deliveryCount: 1, token: row.token });
      }
    }
    return claims;
  }

  async #claimNew(want: number, stopped: () => boolean): Promise<NewRow[]> {
    const query = this.#ctx.sql.query('claim-new', [this.#id, want]);
    for (;;) {
      try {
        return (await this.#run<NewRow>(query, stopped)).rows;
      } catch (error) {
        // Retention deleted an event this claim picked (it committed after the claim's snapshot):
        // the pending row's foreign key refuses it. The next claim no longer sees the event.
        if ((error as { code?: unknown }).code !== FOREIGN_KEY_VIOLATION) throw error;
      }
    }
  }

  /** Milliseconds until the next pending delivery is due (Infinity when none is pending). */
  async #dueIn(stopped: () => boolean): Promise<number> {
    const query = this.#ctx.sql.query('select-next-due', [this.#id]);
    const row = (await this.#run<{ due_in_ms: number | null }>(query, stopped)).rows[0];
    return row?.due_in_ms ?? Infinity;
  }

  #run<R extends object>(query: Parameters<PgContext['query']>[0], stopped?: () => boolean) {
    this.#ctx.assertOpen();
    return this.#ctx.query<R>(query, { stopped });
  }

  #delivery({ event, deliveryCount, token }: Claim): GroupDelivery {
    const ctx = this.#ctx;
    const id = this.#id;
    const { position } = event;
    return {
      event,
      deliveryCount,
      ack: async () => {
        ctx.assertOpen();
        // Even a stale delivery's ack counts: the handler did the work.
        await this.#ack(id, position);
      },
      nack: async (options = {}) => {
        ctx.assertOpen();
        const delay = nackDelay(this.#options.backoff, deliveryCount, options.delayMs);
        const error = options.error === undefined ? null : describeError(options.error);
        const dead = options.deadLetter === true;
        const values = [id, position, token, delay, error, dead, ctx.sql.channel];
        const { rows } = await this.#run(ctx.sql.query('nack-pending', values));
        // Waiting pulls here look at the new due time now; other processes get the notification.
        if (rows.length > 0) ctx.groupWakeup(id).fire();
      },
    };
  }

  async info(): Promise<GroupInfo> {
    const query = this.#ctx.sql.query('select-group-info', [this.#id]);
    const row = (await this.#run<InfoRow>(query)).rows[0]!;
    return {
      name: this.name,
      ackedPosition: row.first_pending === null ? row.cursor : row.first_pending - 1,
      deliveredPosition: row.cursor,
      pending: row.pending,
      lag: row.lag,
      deadLetters: row.dead_letters,
    };
  }

  async status(position: number): Promise<EventStatus | undefined> {
    this.#ctx.assertOpen();
    if (!Number.isSafeInteger(position) || position < 1) return undefined;
    const query = this.#ctx.sql.query('select-group-status', [this.#id, position]);
    const row = (await this.#run<StatusRow>(query)).rows[0]!;
    return eventStatus({
      matches: row.type !== null && this.#matches(row.type),
      afterStart: position > row.start_position,
      delivered: position <= row.cursor,
      dead: row.dead,
      pending: row.due === null ? undefined : { due: row.due },
    });
  }

  /** One page by the dead letters' key (group, position): O(limit). */
  async deadLetters(options: GroupPageOptions = {}): Promise<GroupDeadLetter[]> {
    this.#ctx.assertOpen();
    const { limit, after } = deadLetterPage(options);
    const query = this.#ctx.sql.query('select-dead-letters', [this.#id, after, limit]);
    const { rows } = await this.#run<DeadRow>(query);
    return rows.map((r) => ({
      event: r.event,
      deliveries: r.deliveries,
      error: r.error ?? undefined,
      at: r.dead_at,
    }));
  }

  /**
   * One page of `group_pending` by its primary key (position, group), from `after`: O(limit) rows
   * of this group plus the pending rows of other groups at positions in between. Due times are
   * the database's clock.
   */
  async pending(options: GroupPageOptions = {}): Promise<GroupPending[]> {
    this.#ctx.assertOpen();
    const { limit, after } = pendingPage(options);
    const query = this.#ctx.sql.query('select-pending-page', [this.#id, after, limit]);
    const { rows } = await this.#run<PendingPageRow>(query);
    return rows.map((r) => ({
      event: r.event,
      deliveries: r.deliveries,
      error: r.last_error ?? undefined,
      dueAt: r.due_at,
    }));
  }

  async redrive(positions?: readonly number[]): Promise<number> {
    const { sql } = this.#ctx;
    const query = sql.query('redrive-dead-letters', [this.#id, checked(positions), sql.channel]);
    const count = (await this.#run<{ n: number }>(query)).rows[0]!.n;
    if (count > 0) this.#ctx.groupWakeup(this.#id).fire();
    return count;
  }

  async purge(positions?: readonly number[]): Promise<number> {
    const query = this.#ctx.sql.query('purge-dead-letters', [this.#id, checked(positions)]);
    return (await this.#run<{ n: number }>(query)).rows[0]!.n;
  }
}

/** Positions for a `bigint[]` parameter: what is not a position names no dead letter. */
function checked(positions: readonly number[] | undefined): number[] | null {
  return positions === undefined ? null : positions.filter((p) => Number.isSafeInteger(p) && p > 0);
}

interface InfoRow {
  readonly cursor: number;
  readonly pending: number;
  readonly first_pending: number | null;
  readonly dead_letters: number;
  readonly lag: number;
}

interface StatusRow {
  readonly start_position: number;
  readonly cursor: number;
  readonly type: string | null;
  readonly due: boolean | null;
  readonly dead: boolean;
}

interface PendingPageRow {
  readonly event: StoredEvent;
  readonly deliveries: number;
  readonly last_error: string | null;
  readonly due_at: string;
}

interface DeadRow {
  readonly event: StoredEvent;
  readonly deliveries: number;
  readonly error: string | null;
  readonly dead_at: string;
}
