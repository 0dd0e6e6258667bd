import type { StreamEntry } from './event-codec.js';
import type { RedisContext } from './log-context.js';

// PEL entries looked at per XPENDING page (their types are then read in one pipeline).
const PAGE = 1_000;

function typeOf(entry: StreamEntry | undefined): string | undefined {
  const fields = entry?.[1];
  if (fields === undefined) return undefined;
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'type') return fields[i + 1];
  return undefined;
}

/**
 * After a group's types changed: its pending deliveries (the Redis group's PEL and Herald's due
 * zset) whose type the new types do not match leave the group as if acked, so `info()` counts
 * only what the group still has to do. Whether an entry matches depends only on its type and the
 * new types, so a member claiming or acking one meanwhile changes nothing; `pull.lua` drops any
 * due-zset entry that no longer matches too (another process changed the types, a redrive).
 *
 * @example
 * ```ts
 * await dropUnmatched(ctx, 'billing', typeMatcher(['orders.>']));
 * ```
 */
export async function dropUnmatched(
  ctx: RedisContext,
  name: string,
  matches: (type: string) => boolean,
): Promise<void> {
  const events = ctx.keys.events;
  const k = ctx.keys.group(name);
  const typesOf = async (ids: readonly string[]): Promise<(string | undefined)[]> => {
    if (ids.length === 0) return [];
    const replies = await ctx.call((c) => {
      const pipeline = c.pipeline();
      for (const id of ids) pipeline.xrange(events, id, id);
      return pipeline.exec();
    });
    return (replies ?? []).map(([, entries]) => typeOf((entries as StreamEntry[] | null)?.[0]));
  };
  // Entries deleted from the stream (no type) are left to XAUTOCLAIM and pull.lua, as before.
  const unmatched = (type: string | undefined): boolean => type !== undefined && !matches(type);
  for (let from = '-'; ;) {
    const page = (await ctx.call((c) => c.xpending(events, name, from, '+', PAGE))) as [
      string,
      ...unknown[],
    ][];
    const ids = page.map((p) => p[0]);
    const types = await typesOf(ids);
    const gone = ids.filter((_, i) => unmatched(types[i]));
    if (gone.length > 0) await ctx.call((c) => c.xack(events, name, ...gone));
    if (page.length < PAGE) break;
    from = `(${ids[ids.length - 1]!}`;
  }
  const positions = await ctx.call((c) => c.zrange(k.due, '0', '-1'));
  const types = await typesOf(positions.map((p) => `${p}-0`));
  const gone = positions.filter((_, i) => unmatched(types[i]));
  if (gone.length === 0) return;
  await ctx.call((c) =>
    c
      .multi()
      .zrem(k.due, ...gone)
      .hdel(k.counts, ...gone)
      .hdel(k.tokens, ...gone)
      .hdel(k.errors, ...gone)
      .exec(),
  );
}
