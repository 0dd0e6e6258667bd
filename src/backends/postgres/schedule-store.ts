import { randomBytes } from 'node:crypto';
import type { HeraldEvent } from '../../event/types.js';
import type { ScheduleCursor, ScheduleEntry, ScheduleStore } from '../../log/kit/schedule.js';
import type { PgContext } from './log-context.js';

/** A row of `scheduled_events` as the statements return it. */
interface EntryRow {
  readonly id: string;
  readonly due_at: number;
  readonly stream: string | null;
  readonly event: HeraldEvent;
}

/** The one row of a claim that took nothing: when something will be due. */
interface NextRow {
  readonly id: null;
  readonly due_in_ms: number | null;
}

const MAX_TIMER = 2 ** 31 - 1;
/** Below every due time: the cursor of a first page. */
const FIRST = { dueAt: Number.MIN_SAFE_INTEGER, id: '' };

const entry = (row: EntryRow): ScheduleEntry => ({
  id: row.id,
  dueAt: row.due_at,
  event: row.event,
  stream: row.stream ?? undefined,
});

const before = (a: ScheduleEntry, b: ScheduleEntry): number =>
  a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The schedule store of the PostgreSQL log: the `scheduled_events` table of its schema (see
 * `migrations/003-scheduled.sql` and the `schedule-*.sql` statements). Every method is one
 * statement, retried like the log's other queries while the server is unreachable (then
 * `LOG_UNREACHABLE`); pending entries live only in the table, so a process's memory does not grow
 * with them.
 *
 * What is due is decided by the database's clock: `claim` ignores the mover's `now`, and
 * `nextDue` answers in this process's clock (its delay by the database's clock, added to
 * `Date.now()`), so movers on machines whose clocks disagree agree on what is due, and an event is
 * never recorded (also by the database's clock) before its due time.
 *
 * `add` notifies the log's channel (`s<token>:<ms until due>`); the log's listening connection
 * hands such notifications to `notified`, which wakes the watchers when the earliest new entry is
 * due (not at once: a mover that would find nothing due runs no query). A store ignores its own
 * notifications (its `Scheduling` woke itself already).
 *
 * @example
 * ```ts
 * const store = new PgScheduleStore(log);
 * const scheduling = new Scheduling(store, (events, o) => log.append(events, o));
 * ```
 */
export class PgScheduleStore implements ScheduleStore {
  readonly #ctx: PgContext;
  /** Tells this store's notifications from other processes' (and other log objects'). */
  readonly #token = randomBytes(6).toString('hex');
  readonly #listeners = new Set<() => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wakeAt = Infinity;
  /**
   * What the last claim that took nothing, or the last complete, said `nextDue` was then, for the
   * `nextDue` call the mover makes right after (it saves a statement per move); used once.
   * Anything added meanwhile wakes the mover anyway (its own `schedule`, or `watch`), as it would
   * after a `nextDue` statement.
   */
  #next: { inMs: number | null } | undefined;

  constructor(ctx: PgContext) {
    this.#ctx = ctx;
  }

  async add(entries: readonly ScheduleEntry[]): Promise<(number | undefined)[]> {
    this.#next = undefined;
    const { sql } = this.#ctx;
    const lines = entries.map((e) => JSON.stringify(e.event));
    const query = sql.query('schedule-add', [
      entries.map((e) => e.id),
      entries.map((e) => e.dueAt),
      entries.map((e) => e.stream ?? null),
      lines.join('\n'),
      sql.channel,
      this.#token,
    ]);
    const { rows } = await this.#ctx.query<{
      id: string;
      due_at: number;
      inserted: boolean;
      existing: string | null;
    }>(query);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return entries.map((e, i) => {
      const row = byId.get(e.id);
      if (row === undefined || row.inserted) return undefined;
      // The same event at the same time: this call's own row, stored by an attempt whose reply was lost.
      if (row.due_at === e.dueAt && row.existing === lines[i]) return undefined;
      return row.due_at;
    });
  }

  async claim(_now: number, max: number, leaseMs: number): Promise<ScheduleEntry[]> {
    this.#next = undefined;
    const query = this.#ctx.sql.query('schedule-claim', [max, leaseMs], true);
    const { rows } = await this.#ctx.query<EntryRow | NextRow>(query);
    const first = rows[0];
    if (first !== undefined && first.id === null) {
      // Nothing taken: the statement said when something will be.
      this.#next = { inMs: first.due_in_ms };
      return [];
    }
    return (rows as EntryRow[]).map(entry).sort(before);
  }

  async complete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.#next = undefined;
    const query = this.#ctx.sql.query('schedule-complete', [ids], true);
    const { rows } = await this.#ctx.query<{ due_in_ms: number | null }>(query);
    this.#next = { inMs: rows[0]?.due_in_ms ?? null };
  }

  async cancel(id: string): Promise<boolean> {
    const { rowCount } = await this.#ctx.query(this.#ctx.sql.query('schedule-cancel', [id]));
    return (rowCount ?? 0) > 0;
  }

  async list(limit: number, after: ScheduleCursor | undefined): Promise<ScheduleEntry[]> {
    const { dueAt, id } = after ?? FIRST;
    const query = this.#ctx.sql.query('schedule-list', [dueAt, id, limit]);
    return (await this.#ctx.query<EntryRow>(query)).rows.map(entry);
  }

  async nextDue(): Promise<number | undefined> {
    const known = this.#next;
    this.#next = undefined;
    let inMs: number | null | undefined;
    if (known !== undefined) inMs = known.inMs;
    else {
      const query = this.#ctx.sql.query('schedule-next-due', [], true);
      inMs = (await this.#ctx.query<{ due_in_ms: number | null }>(query)).rows[0]?.due_in_ms;
    }
    return inMs === null || inMs === undefined ? undefined : Date.now() + inMs;
  }

  watch(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * A notification of the log's channel whose payload starts with `s` (given without it):
   * another store added entries, the earliest due in the given ms.
   */
  notified(payload: string): void {
    const colon = payload.indexOf(':');
    if (colon < 0 || payload.slice(0, colon) === this.#token) return;
    const inMs = Number(payload.slice(colon + 1));
    if (!Number.isFinite(inMs) || inMs <= 0) {
      this.#fire();
      return;
    }
    const at = Date.now() + inMs;
    if (this.#timer !== undefined) {
      if (at >= this.#wakeAt) return;
      clearTimeout(this.#timer);
    }
    this.#wakeAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.min(Math.ceil(inMs), MAX_TIMER));
    this.#timer.unref();
  }

  /** The listening connection came back: adds notified meanwhile were lost, so watchers look now. */
  reconnected(): void {
    this.#fire();
  }

  /** Stops the pending wake-up. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #fire(): void {
    this.#next = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wakeAt = Infinity;
    for (const listener of [...this.#listeners]) listener();
  }
}
