import { describeError } from '../../errors/index.js';
import { eventStatus } from '../../log/event-status.js';
import { nackDelay, resolveGroupOptions, type ResolvedGroupOptions } from '../../log/group-options.js';
import { checkInteger, checkMillis } from '../../log/invalid-option.js';
import { waitForAny } from '../../log/notifier.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type {
  ConsumerGroup,
  EventStatus,
  GroupDeadLetter,
  GroupDelivery,
  GroupInfo,
} from '../../log/types.js';
import { decodeFields, type StreamEntry } from './event-codec.js';
import type { GroupKeys } from './keys.js';
import type { RedisContext } from './log-context.js';

type PullReply = [
  nextDueMs: number,
  more: number,
  recreated: number,
  ...claims: [number, number, number, string[]][],
];

/** Entries one pull examines at most, so a script never holds the server long. */
const SCAN_LIMIT = 2_000;

/**
 * The options JSON a group hash holds.
 *
 * @example
 * ```ts
 * const json = optionsJson(resolveGroupOptions({ types: ['order.>'] }));
 * ```
 */
export function optionsJson(options: ResolvedGroupOptions): string {
  return JSON.stringify(options);
}

/** Acks go through the log's batcher, so a pulled batch acked at once shares one script call. */
export type AckFn = (group: string, position: number) => Promise<void>;

/**
 * A consumer group of the Redis log, built on Lua over sorted sets and hashes rather than on
 * XREADGROUP (see `docs/redis.md` for why): `pull.lua` claims due redeliveries then new matching
 * events after the group's cursor, `nack.lua` sets the next due time or dead-letters, `ack.lua`
 * forgets. Deadlines use the server's clock (TIME), so members on any machine agree. Its state
 * is in Redis, shared by members in any process; a group whose keys were lost with the server's
 * data is created again by the next pull. Internal: obtained through `log.group(name)`.
 *
 * @example
 * ```ts
 * const group = await log.group('mailer', { types: ['order.>'] });
 * for (const delivery of await group.pull({ max: 10, waitMs: 1000 })) await delivery.ack();
 * ```
 */
export class RedisGroup implements ConsumerGroup {
  readonly name: string;
  readonly #ctx: RedisContext;
  readonly #keys: GroupKeys;
  readonly #ack: AckFn;
  #options: ResolvedGroupOptions;
  #matches: (type: string) => boolean;

  constructor(ctx: RedisContext, name: string, options: ResolvedGroupOptions, ack: AckFn) {
    this.#ctx = ctx;
    this.name = name;
    this.#keys = ctx.keys.group(name);
    this.#ack = ack;
    this.#options = options;
    this.#matches = typeMatcher(options.types);
  }

  get options(): ResolvedGroupOptions {
    return this.#options;
  }

  refresh(options: ResolvedGroupOptions): void {
    this.#options = options;
    this.#matches = typeMatcher(options.types);
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
    const changed = ctx.groupWakeup(this.name);
    const stopped = (): boolean => ctx.closed || signal?.aborted === true;
    for (;;) {
      if (stopped()) return [];
      const seen = [ctx.appended.seq, changed.seq];
      const k = this.#keys;
      const keys = [
        k.hash,
        k.due,
        k.counts,
        k.tokens,
        k.errors,
        k.dead,
        k.deadInfo,
        ctx.keys.events,
        ctx.keys.meta,
        ctx.keys.groups,
      ];
      const args = [max, SCAN_LIMIT, optionsJson(this.#options), this.name];
      const reply = (await ctx.script('pull', keys, args, { stopped })) as PullReply;
      const [nextDue, more] = reply;
      const claims = reply.slice(3) as [number, number, number, string[]][];
      if (claims.length > 0) return claims.map((claim) => this.#delivery(claim));
      if (more === 1) continue;
      if (stopped() || Date.now() >= deadline) return [];
      if (ctx.appended.seq !== seen[0] || changed.seq !== seen[1]) continue;
      if (nextDue === 0) continue;
      const left = deadline - Date.now();
      const wait = Math.min(left, nextDue < 0 ? Infinity : nextDue, ctx.options.pollIntervalMs);
      await waitForAny([ctx.appended.notifier, changed.notifier], wait, signal);
    }
  }

  #delivery([rawPosition, deliveryCount, token, fields]: [
    number | string,
    number,
    number,
    string[],
  ]): GroupDelivery {
    // Redeliveries come from a sorted set, whose members Lua sees as strings.
    const position = Number(rawPosition);
    const ctx = this.#ctx;
    const event = decodeFields(position, fields);
    return {
      event,
      deliveryCount,
      ack: async () => {
        ctx.assertOpen();
        // Even a stale delivery's ack counts: the handler did the work.
        await this.#ack(this.name, position);
      },
      nack: async (options = {}) => {
        ctx.assertOpen();
        const delay = nackDelay(this.#options.backoff, deliveryCount, options.delayMs);
        const hasError = options.error !== undefined;
        const error = hasError ? describeError(options.error) : '';
        const k = this.#keys;
        const keys = [k.hash, k.due, k.counts, k.tokens, k.errors, k.dead, k.deadInfo, ctx.keys.events];
        const args = [
          position,
          token,
          delay,
          hasError ? '1' : '0',
          error,
          options.deadLetter === true ? '1' : '0',
        ];
        const outcome = Number(await ctx.script('nack', keys, args));
        if (outcome === 1) ctx.groupWakeup(this.name).fire();
      },
    };
  }

  async info(): Promise<GroupInfo> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const k = this.#keys;
    const [cursorText, pendingPositions, deadLetters] = await ctx.call((c) =>
      Promise.all([c.hget(k.hash, 'cursor'), c.zrange(k.due, '0', '-1'), c.zcard(k.dead)]),
    );
    const cursor = Number(cursorText ?? ctx.knownLast);
    let lag = 0;
    for (let from = `${cursor + 1}-0`; ;) {
      const page = ctx.options.readPageSize;
      const entries = (await ctx.call((c) =>
        c.xrange(ctx.keys.events, from, '+', 'COUNT', page),
      )) as StreamEntry[];
      for (const [, fields] of entries) if (this.#matches(typeOf(fields))) lag++;
      if (entries.length < page) break;
      from = `(${entries.at(-1)![0]}`;
    }
    const lowest = pendingPositions.reduce((min, p) => Math.min(min, Number(p)), Infinity);
    return {
      name: this.name,
      ackedPosition: lowest === Infinity ? cursor : lowest - 1,
      deliveredPosition: cursor,
      pending: pendingPositions.length,
      lag,
      deadLetters,
    };
  }

  async status(position: number): Promise<EventStatus | undefined> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    if (!Number.isSafeInteger(position) || position < 1) return undefined;
    const k = this.#keys;
    const id = `${position}-0`;
    const [group, due, dead, entries, time] = await ctx.call((c) =>
      Promise.all([
        c.hmget(k.hash, 'cursor', 'origin'),
        c.zscore(k.due, position),
        c.zscore(k.dead, position),
        c.xrange(ctx.keys.events, id, id),
        c.time(),
      ]),
    );
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const entry = (entries as StreamEntry[])[0];
    return eventStatus({
      matches: entry !== undefined && this.#matches(typeOf(entry[1])),
      afterStart: position > Number(group[1] ?? 0),
      delivered: position <= Number(group[0] ?? 0),
      dead: dead !== null,
      pending: due === null ? undefined : { due: Number(due) <= now },
    });
  }

  async deadLetters(options: { limit?: number } = {}): Promise<GroupDeadLetter[]> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const limit = checkInteger('limit', options.limit ?? Number.MAX_SAFE_INTEGER, 0);
    if (limit === 0) return [];
    const k = this.#keys;
    const positions = await ctx.call((c) => c.zrange(k.dead, '0', String(Math.min(limit, 2 ** 31) - 1)));
    if (positions.length === 0) return [];
    const infos = await ctx.call((c) => c.hmget(k.deadInfo, ...positions));
    const out: GroupDeadLetter[] = [];
    positions.forEach((p, i) => {
      const text = infos[i];
      if (text === null || text === undefined) return;
      const info = JSON.parse(text) as { deliveries: number; error?: string; at: number; fields: string[] };
      out.push({
        event: decodeFields(Number(p), info.fields),
        deliveries: info.deliveries,
        error: info.error,
        at: new Date(info.at).toISOString(),
      });
    });
    return out;
  }

  async redrive(positions?: readonly number[]): Promise<number> {
    this.#ctx.assertOpen();
    const list = checked(positions);
    if (list?.length === 0) return 0;
    const k = this.#keys;
    const keys = [k.due, k.counts, k.tokens, k.errors, k.dead, k.deadInfo];
    const count = Number(await this.#ctx.script('redrive', keys, list ?? []));
    if (count > 0) this.#ctx.groupWakeup(this.name).fire();
    return count;
  }

  async purge(positions?: readonly number[]): Promise<number> {
    this.#ctx.assertOpen();
    const list = checked(positions);
    if (list?.length === 0) return 0;
    return Number(await this.#ctx.script('purge', [this.#keys.dead, this.#keys.deadInfo], list ?? []));
  }
}

function typeOf(fields: readonly string[]): string {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'type') return fields[i + 1]!;
  return '';
}

/** Positions that can name a dead letter; anything else names none. */
function checked(positions: readonly number[] | undefined): number[] | undefined {
  return positions?.filter((p) => Number.isSafeInteger(p) && p > 0);
}

/**
 * The resolved options of a group hash's options JSON.
 *
 * @example
 * ```ts
 * storedOptions('{"types":[">"],"ackWaitMs":30000,"maxDeliveries":5,"backoff":[1000]}').maxDeliveries; // 5
 * ```
 */
export function storedOptions(json: string): ResolvedGroupOptions {
  return resolveGroupOptions(JSON.parse(json) as ResolvedGroupOptions);
}
