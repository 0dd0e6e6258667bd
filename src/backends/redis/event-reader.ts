import { matchesReadFilter, type ReadFilter } from '../../log/read-filter.js';
import type { StoredEvent } from '../../log/types.js';
import { decodeEntry, type StreamEntry } from './event-codec.js';
import type { RedisContext } from './log-context.js';

/**
 * The first position recorded at or after `ms` (0: none), by binary search in `locate-time.lua`.
 *
 * @example
 * ```ts
 * const first = await firstRecordedFrom(ctx, Date.parse('2026-01-01T00:00:00Z'));
 * ```
 */
export async function firstRecordedFrom(ctx: RedisContext, ms: number): Promise<number> {
  return Number(await ctx.script('locate-time', [ctx.keys.events], [ms]));
}

/** The entry-id bounds of a read of the whole log, or undefined when it yields nothing. */
async function bounds(
  ctx: RedisContext,
  filter: ReadFilter,
  end: number,
): Promise<[string, string] | undefined> {
  const { from } = filter;
  if (filter.direction === 'forward') {
    if (from === 'end') return undefined;
    let start = from === 'start' ? 1 : typeof from === 'number' ? from : 0;
    if (from instanceof Date) start = await firstRecordedFrom(ctx, from.getTime());
    return start === 0 || start > end ? undefined : [`${start}-0`, `${end}-0`];
  }
  if (from === 'start') return undefined;
  let top = from === 'end' ? end : typeof from === 'number' ? Math.min(from, end) : end;
  if (from instanceof Date) {
    // The last event recorded at or before the time is just before the first one after it.
    const after = await firstRecordedFrom(ctx, from.getTime() + 1);
    if (after !== 0) top = after - 1;
  }
  return top < 1 ? undefined : [`${top}-0`, '-'];
}

async function* wholeLog(ctx: RedisContext, filter: ReadFilter, end: number): AsyncGenerator<StoredEvent> {
  const range = await bounds(ctx, filter, end);
  if (range === undefined) return;
  let start = range[0];
  const stop = range[1];
  const forward = filter.direction === 'forward';
  const page = ctx.options.readPageSize;
  for (;;) {
    ctx.assertOpen();
    const entries = (await ctx.call((c) =>
      forward
        ? c.xrange(ctx.keys.events, start, stop, 'COUNT', page)
        : c.xrevrange(ctx.keys.events, start, stop, 'COUNT', page),
    )) as StreamEntry[];
    for (const entry of entries) yield decodeEntry(entry);
    if (entries.length < page) return;
    start = `(${entries.at(-1)![0]}`;
  }
}

async function* oneStream(ctx: RedisContext, filter: ReadFilter, end: number): AsyncGenerator<StoredEvent> {
  const key = ctx.keys.stream(filter.stream!);
  const forward = filter.direction === 'forward';
  const { from } = filter;
  if ((forward && from === 'end') || (!forward && from === 'start')) return;
  let bound = filter.fromVersion === undefined ? (forward ? '-inf' : '+inf') : String(filter.fromVersion);
  const page = ctx.options.readPageSize;
  for (;;) {
    ctx.assertOpen();
    const flat = await ctx.call((c) =>
      forward
        ? c.zrangebyscore(key, bound, '+inf', 'WITHSCORES', 'LIMIT', 0, page)
        : c.zrevrangebyscore(key, bound, '-inf', 'WITHSCORES', 'LIMIT', 0, page),
    );
    const positions: number[] = [];
    for (let i = 0; i < flat.length; i += 2) positions.push(Number(flat[i]));
    if (positions.length === 0) return;
    const replies =
      (await ctx.call((c) => {
        const fetch = c.pipeline();
        for (const p of positions) fetch.xrange(ctx.keys.events, `${p}-0`, `${p}-0`);
        return fetch.exec();
      })) ?? [];
    for (const [error, entries] of replies) {
      if (error) throw error;
      const entry = (entries as StreamEntry[])[0];
      // Deleted between the two commands, or appended after the read began.
      if (entry === undefined) continue;
      const event = decodeEntry(entry);
      if (event.position > end || !withinFrom(event, filter)) continue;
      yield event;
    }
    if (positions.length < page) return;
    bound = `(${flat[flat.length - 1]!}`;
  }
}

/** The `from` bound of a stream read, checked per event (positions follow versions in a stream). */
function withinFrom(event: StoredEvent, filter: ReadFilter): boolean {
  const { from } = filter;
  const forward = filter.direction === 'forward';
  if (typeof from === 'number') return forward ? event.position >= from : event.position <= from;
  if (from instanceof Date) {
    const recorded = Date.parse(event.recordedat);
    return forward ? recorded >= from.getTime() : recorded <= from.getTime();
  }
  return true;
}

/**
 * The events a read yields, lazily, page by page: by position over the events stream (XRANGE /
 * XREVRANGE), or by version over a stream's index; every other filter is applied to each event
 * (`matchesReadFilter`), so reads by type, correlation and time are exact, though not indexed.
 * The read ends at the last position assigned when it began.
 *
 * @example
 * ```ts
 * for await (const event of readEvents(ctx, readFilter({ types: ['order.>'] }))) console.log(event.position);
 * ```
 */
export async function* readEvents(ctx: RedisContext, filter: ReadFilter): AsyncGenerator<StoredEvent> {
  ctx.assertOpen();
  if (filter.limit === 0) return;
  const end = Number((await ctx.call((c) => c.hget(ctx.keys.meta, 'last'))) ?? 0);
  ctx.noteLast(end);
  const source = filter.stream === undefined ? wholeLog(ctx, filter, end) : oneStream(ctx, filter, end);
  let count = 0;
  for await (const event of source) {
    if (!matchesReadFilter(event, filter)) continue;
    yield event;
    if (++count >= filter.limit) return;
  }
}
