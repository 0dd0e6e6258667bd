import { resolveGroupOptions, type ResolvedGroupOptions } from '../../log/group-options.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type { GroupOptions, LogPosition, StoredEvent } from '../../log/types.js';
import { firstRecordedAtOrAfter, lastPosition, MAX_POSITION, readPage } from './read-plan.js';
import type { Statements } from './statements.js';
import type { TypeSet } from './type-set.js';
import type { WriteOp } from './write-queue.js';

/** A row of `groups`. */
export interface GroupRow {
  readonly id: number;
  readonly name: string;
  readonly types: string;
  readonly ack_wait_ms: number;
  readonly max_deliveries: number;
  readonly backoff: string;
  readonly start_position: number;
  readonly cursor: number;
}

/** One delivery claimed by a pull, before it becomes a `GroupDelivery`. */
export interface Claim {
  readonly event: StoredEvent;
  /** The event as stored (JSON), kept for a dead letter. */
  readonly json: string;
  readonly deliveryCount: number;
  /** Identifies this delivery: a nack carrying an older token is stale. */
  readonly token: number;
}

/**
 * A group's row by name.
 *
 * @example
 * ```ts
 * const row = selectGroup(sql, 'mailer');
 * ```
 */
export function selectGroup(sql: Statements, name: string): GroupRow | undefined {
  return sql['select-group'].get(name) as GroupRow | undefined;
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
    types: JSON.parse(row.types) as string[],
    ackWaitMs: row.ack_wait_ms,
    maxDeliveries: row.max_deliveries,
    backoff: JSON.parse(row.backoff) as number[],
  });
}

/** A random delivery token (collisions are as likely as guessing 52 random bits). */
export const newToken = (): number => Math.floor(Math.random() * 2 ** 52);

/** The cursor of a new group: the position just before the first event it takes. */
function startCursor(sql: Statements, startAt: LogPosition): number {
  if (startAt === 'start') return 0;
  if (startAt === 'end') return lastPosition(sql);
  if (typeof startAt === 'number') return Math.max(0, startAt - 1);
  return (firstRecordedAtOrAfter(sql, startAt.getTime()) ?? lastPosition(sql) + 1) - 1;
}

/**
 * Opens a group in a write round: creates it with `options` (checked already) and its start
 * cursor, or applies the options given to an existing one (those left out stay). When its types
 * change, pending deliveries the new types do not match leave the group as if acked.
 *
 * @example
 * ```ts
 * const row = await queue.submit(openGroupOp(sql, 'mailer', { types: ['order.>'] }, 'end'));
 * ```
 */
export function openGroupOp(
  sql: Statements,
  name: string,
  options: GroupOptions,
  startAt: LogPosition,
): WriteOp<GroupRow> {
  return {
    weight: 1,
    run(round): GroupRow {
      const row = selectGroup(sql, name);
      if (row === undefined) {
        const o = resolveGroupOptions(options);
        const start = startCursor(sql, startAt);
        sql['insert-group'].run({ ...bindOptions(o), name, startPosition: start, createdAt: round.now });
      } else if (Object.values(options).some((value) => value !== undefined)) {
        const resolved = resolveGroupOptions(options, rowOptions(row));
        const bound = bindOptions(resolved);
        sql['update-group-options'].run({ ...bound, id: row.id });
        if (bound.types !== row.types) dropUnmatched(sql, row.id, typeMatcher(resolved.types));
      }
      return selectGroup(sql, name)!;
    },
  };
}

function dropUnmatched(sql: Statements, groupId: number, matches: (type: string) => boolean): void {
  const rows = sql['select-pending-types'].all(groupId) as { position: number; type: string }[];
  for (const { position, type } of rows) if (!matches(type)) sql['delete-pending'].run(groupId, position);
}

function bindOptions(o: ResolvedGroupOptions): Record<string, unknown> {
  return {
    types: JSON.stringify(o.types),
    ackWaitMs: o.ackWaitMs,
    maxDeliveries: o.maxDeliveries,
    backoff: JSON.stringify(o.backoff),
  };
}

/**
 * Moves a pending delivery to the group's dead letters, with a copy of the event (dead letters
 * outlive retention).
 *
 * @example
 * ```ts
 * bury(sql, row.id, 7, eventJson, 5, 'boom', Date.now());
 * ```
 */
export function bury(
  sql: Statements,
  groupId: number,
  position: number,
  eventJson: string,
  deliveries: number,
  error: string | null,
  now: number,
): void {
  sql['delete-pending'].run(groupId, position);
  const params = { group: groupId, position, event: eventJson, deliveries, error, deadAt: now };
  sql['insert-dead-letter'].run(params);
}

/** The group's current types, as `claimOp` takes them. */
export interface GroupTypes {
  readonly set: TypeSet | undefined;
  readonly matches: (type: string) => boolean;
}

/**
 * A pull's write: due redeliveries first (by position; one past `maxDeliveries` is dead-lettered
 * instead, one the group's current types do not match leaves as if acked), then new matching
 * events after the cursor, each recorded as pending with its ack deadline; the cursor moves past
 * what was examined. All in the round's transaction, so two members (in any process) never
 * claim the same delivery.
 *
 * @example
 * ```ts
 * const { claims } = await queue.submit(claimOp(sql, 'mailer', () => ({ set, matches }), 10));
 * ```
 */
export function claimOp(
  sql: Statements,
  name: string,
  types: (row: GroupRow) => GroupTypes,
  max: number,
): WriteOp<{ row: GroupRow; claims: Claim[] }> {
  return {
    weight: 1,
    run(round) {
      const row = selectGroup(sql, name)!;
      const { set, matches } = types(row);
      const { id, ack_wait_ms: ackWaitMs, max_deliveries: maxDeliveries } = row;
      const dueAt = round.now + ackWaitMs;
      const claims: Claim[] = [];
      for (;;) {
        const params = { group: id, now: round.now, limit: max - claims.length };
        const due = claims.length < max ? (sql['select-due-pending'].all(params) as DueRow[]) : [];
        if (due.length === 0) break;
        for (const d of due) {
          // Options changed by another process, or a redriven dead letter: no longer the group's.
          if (!matches(d.type)) sql['delete-pending'].run(id, d.position);
          else if (d.deliveries >= maxDeliveries) {
            bury(sql, id, d.position, d.event, d.deliveries, `not acked within ${ackWaitMs} ms`, round.now);
          } else {
            const token = newToken();
            sql['redeliver-pending'].run(dueAt, token, id, d.position);
            const event = JSON.parse(d.event) as StoredEvent;
            claims.push({ event, json: d.event, deliveryCount: d.deliveries + 1, token });
          }
        }
      }
      if (claims.length < max) {
        const plan = {
          forward: true,
          stream: undefined,
          correlation: undefined,
          types: set,
          lo: 1,
          hi: MAX_POSITION,
          cursor: row.cursor,
        };
        for (const json of readPage(sql, plan, max - claims.length)) {
          const event = JSON.parse(json) as StoredEvent;
          const token = newToken();
          sql['insert-pending'].run(id, event.position, dueAt, token);
          claims.push({ event, json, deliveryCount: 1, token });
        }
        if (plan.cursor > row.cursor) sql['update-group-cursor'].run({ group: id, cursor: plan.cursor });
      }
      return { row, claims };
    },
  };
}

interface DueRow {
  readonly position: number;
  readonly deliveries: number;
  readonly type: string;
  readonly event: string;
}
