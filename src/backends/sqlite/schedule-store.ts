import type { HeraldEvent } from '../../event/types.js';
import type { ScheduleEntry, ScheduleStore } from '../../log/kit/schedule.js';
import { settle } from '../../log/settle.js';
import type { LogContext } from './log-context.js';

interface ScheduledRow {
  id: string;
  due_at: number;
  stream: string | null;
  event: string;
}

const entryOf = (row: ScheduledRow): ScheduleEntry => ({
  id: row.id,
  dueAt: row.due_at,
  event: JSON.parse(row.event) as HeraldEvent,
  stream: row.stream ?? undefined,
});

const byDue = (a: ScheduleEntry, b: ScheduleEntry): number =>
  a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The schedule store of the SQLite log: the `scheduled` table of the log's file (migration
 * `003_scheduled`). Writes (`add`, `claim`, `complete`, `cancel`) are writes of the log's
 * `WriteQueue`: they share its rounds (one IMMEDIATE transaction and one fsync with the appends of
 * the moment), and wait for another process's write lock the way appends do (on a timer, up to
 * `busyTimeoutMs`, then `LOG_UNREACHABLE`). `list` and `nextDue` are reads (index seeks). Nothing
 * is kept in memory per pending entry. `watch` looks every `pollIntervalMs` whether another
 * process committed (`PRAGMA data_version`) and, if so, whether it added entries (a counter the
 * adds bump): SQLite has no notifications between processes.
 *
 * @example
 * ```ts
 * const scheduling = new Scheduling(sqliteScheduleStore(ctx), (events, o) => append(events, o));
 * ```
 */
export function sqliteScheduleStore(ctx: LogContext): ScheduleStore {
  const { sql, queue } = ctx;
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let dataVersion: number | undefined;
  let added: number | undefined;

  /** Whether another process added entries since the last look (the first look only records). */
  const look = (): boolean => {
    const version = (sql['select-data-version'].get() as { data_version: number }).data_version;
    if (version === dataVersion) return false;
    dataVersion = version;
    const count = (sql['select-schedule-added'].get() as { added: number }).added;
    const changed = added !== undefined && count !== added;
    added = count;
    return changed;
  };
  const poll = (): void => {
    if (ctx.closed) return;
    let changed: boolean;
    try {
      changed = look();
    } catch {
      return; // a read that failed (the file busy in recovery) is tried at the next poll
    }
    if (changed) for (const listener of listeners) listener();
  };

  return {
    add(entries) {
      return queue.submit({
        weight: Math.max(1, entries.length),
        run: () => {
          const found = entries.map((entry) => {
            const stored = sql['insert-scheduled'].run(
              entry.id,
              entry.dueAt,
              entry.stream ?? null,
              JSON.stringify(entry.event),
            );
            if (stored.changes === 1) return undefined;
            return (sql['select-scheduled-due'].get(entry.id) as { due_at: number }).due_at;
          });
          if (found.some((dueAt) => dueAt === undefined)) sql['update-schedule-stats'].run();
          return found;
        },
      });
    },

    claim(now, max, leaseMs) {
      return queue.submit({
        weight: max,
        run: () => {
          const bind = { now, max, until: now + leaseMs };
          const rows = sql['claim-scheduled-expired'].all(bind) as ScheduledRow[];
          if (rows.length < max) {
            rows.push(
              ...(sql['claim-scheduled-due'].all({ ...bind, max: max - rows.length }) as ScheduledRow[]),
            );
          }
          return rows.map(entryOf).sort(byDue);
        },
      });
    },

    async complete(ids) {
      if (ids.length === 0) return;
      await queue.submit({
        weight: ids.length,
        run: () => {
          for (const id of ids) sql['delete-scheduled'].run(id);
        },
      });
    },

    cancel(id) {
      return queue.submit({ weight: 1, run: () => sql['cancel-scheduled'].run(id).changes > 0 });
    },

    list(limit, after) {
      return settle(() => {
        const cursor = after ?? { dueAt: Number.MIN_SAFE_INTEGER, id: '' };
        const rows = sql['select-scheduled-page'].all({ dueAt: cursor.dueAt, id: cursor.id, limit });
        return (rows as ScheduledRow[]).map(entryOf);
      });
    },

    nextDue() {
      return settle(() => {
        const { due, lease } = sql['select-scheduled-next'].get() as {
          due: number | null;
          lease: number | null;
        };
        if (due === null && lease === null) return undefined;
        return Math.min(due ?? Infinity, lease ?? Infinity);
      });
    },

    watch(listener) {
      listeners.add(listener);
      if (timer === undefined) {
        dataVersion = undefined;
        added = undefined;
        try {
          look(); // the state to compare with
        } catch {
          // compared from the first poll that can read
        }
        timer = setInterval(poll, ctx.options.pollIntervalMs);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}
