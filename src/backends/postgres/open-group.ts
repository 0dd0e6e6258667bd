import { resolveGroupOptions, type ResolvedGroupOptions } from '../../log/group-options.js';
import type { GroupOptions, LogPosition } from '../../log/types.js';
import type { PgContext } from './log-context.js';
import { rowOptions, type GroupRow } from './pg-group.js';
import { typeRegexes } from './type-regex.js';

function optionValues(o: ResolvedGroupOptions): unknown[] {
  return [
    JSON.stringify(o.types),
    typeRegexes(o.types),
    o.ackWaitMs,
    o.maxDeliveries,
    JSON.stringify(o.backoff),
  ];
}

async function selectGroup(ctx: PgContext, name: string): Promise<GroupRow | undefined> {
  return (await ctx.query<GroupRow>(ctx.sql.query('select-group', [name]))).rows[0];
}

/** `insert-group`'s start arguments: how the cursor of a new group is found. */
function startValues(startAt: LogPosition): unknown[] {
  if (startAt === 'start' || startAt === 'end') return [startAt, null, null];
  if (startAt instanceof Date) return ['time', null, startAt.toISOString()];
  return ['position', startAt, null];
}

/**
 * Opens a group: creates it with `options` (checked already) and its start cursor, or applies
 * the options given to an existing one (those left out stay). When its types change, pending
 * deliveries the new types do not match leave the group as if acked (`claim-due` drops any that
 * a claim meets before that). A concurrent creator in another process may win the insert; its
 * group is then the one returned.
 *
 * @example
 * ```ts
 * const row = await openGroup(ctx, 'mailer', { types: ['order.>'] }, 'end');
 * ```
 */
export async function openGroup(
  ctx: PgContext,
  name: string,
  options: Omit<GroupOptions, 'startAt'>,
  startAt: LogPosition,
): Promise<GroupRow> {
  const row = await selectGroup(ctx, name);
  if (row === undefined) {
    const values = [name, ...optionValues(resolveGroupOptions(options)), ...startValues(startAt)];
    await ctx.query(ctx.sql.query('insert-group', values));
  } else if (Object.values(options as Record<string, unknown>).some((value) => value !== undefined)) {
    const resolved = resolveGroupOptions(options, rowOptions(row));
    await ctx.query(ctx.sql.query('update-group-options', [row.id, ...optionValues(resolved)]));
    if (JSON.stringify(resolved.types) !== JSON.stringify(row.types)) {
      await ctx.query(ctx.sql.query('drop-unmatched-pending', [row.id]));
    }
  } else return row;
  return (await selectGroup(ctx, name))!;
}
