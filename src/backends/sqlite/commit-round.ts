import type Database from 'better-sqlite3';
import { HeraldError } from '../../errors/index.js';
import { lastPosition } from './read-plan.js';
import { applyRetentionChunk, type RetentionLimits } from './retention.js';
import type { Statements } from './statements.js';
import { WriteFailed, type Outcome, type Round, type WriteOp } from './write-queue.js';

/**
 * The `commit` of the log's `WriteQueue`: one IMMEDIATE transaction per round (the write lock is
 * taken up front, so another process cannot slip in between a check and its write), the writes
 * in order, one chunk of retention, the log's stats, then COMMIT: one fsync for the round. A
 * write's refusal (a `HeraldError`, thrown before it wrote) fails that write alone; any other
 * error rolls the round back as `WriteFailed` (the queue then runs the others again).
 *
 * @example
 * ```ts
 * const queue = new WriteQueue({ ...limits, commit: roundCommitter(db, sql, retention), wake, rolledBack });
 * ```
 */
export function roundCommitter(
  db: Database.Database,
  sql: Statements,
  retention: RetentionLimits | undefined,
): (ops: readonly WriteOp<unknown>[]) => { outcomes: Outcome[]; wake: boolean } {
  const all = db.transaction((ops: readonly WriteOp<unknown>[]) => {
    const round = new RoundState(sql);
    const outcomes: Outcome[] = [];
    ops.forEach((op, i) => {
      try {
        outcomes.push({ ok: true, value: op.run(round) });
      } catch (error) {
        if (!(error instanceof HeraldError)) throw new WriteFailed(i, error);
        outcomes.push({ ok: false, error });
      }
    });
    if (round.appended && retention !== undefined) applyRetentionChunk(sql, retention, round);
    round.saveStats();
    return { outcomes, wake: round.wake };
  });
  return (ops) => all.immediate(ops);
}

class RoundState implements Round {
  readonly now = Date.now();
  wake = false;
  appended = false;
  eventDelta = 0;
  readonly #sql: Statements;
  #recorded: number | undefined;
  #loaded: number | undefined;
  #last: number | undefined;

  constructor(sql: Statements) {
    this.#sql = sql;
  }

  recordedAt(): number {
    if (this.#recorded === undefined) {
      const newest = this.#sql['select-last-recorded'].get() as { recorded_at: number } | undefined;
      // A clock stepping back (or another process's clock ahead) is held at the newest value,
      // so recorded times never decrease along positions and time reads can seek by position.
      this.#recorded = Math.max(this.now, newest?.recorded_at ?? 0);
    }
    return this.#recorded;
  }

  // Read once per round, under the write lock: no other process can assign one meanwhile.
  get lastPosition(): number {
    return (this.#last ??= this.#loaded = lastPosition(this.#sql));
  }

  set lastPosition(position: number) {
    this.#last = position;
  }

  saveStats(): void {
    const moved = this.#last !== undefined && this.#last !== this.#loaded;
    if (moved || this.eventDelta !== 0) this.#sql['update-log-stats'].run(this.eventDelta, this.#last ?? 0);
  }
}
