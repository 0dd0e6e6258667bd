import type { Redis } from 'ioredis';
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
import {
  bufferNumber,
  bufferType,
  decodeFields,
  entryPosition,
  type BufferEntry,
  type StreamEntry,
} from './event-codec.js';
import type { GroupKeys } from './keys.js';
import type { RedisContext } from './log-context.js';

type PullReply = [
  nextDueMs: number,
  more: number,
  recreated: number,
  redeliveries: (number | string | string[])[],
  fresh: StreamEntry[],
  examined: number,
];

/** What one look for deliveries found. */
interface Round {
  readonly nextDue: number;
  readonly more: boolean;
  readonly redeliveries: (number | string | string[])[];
  /** New events of the group's types (from pull.lua in scan mode, else from XREADGROUP here). */
  readonly fresh: StreamEntry[] | BufferEntry[];
  /** New entries looked at, of any type. */
  readonly read: number;
}

/** The entries of an XREADGROUP reply on one stream, read with Buffer replies (none: null). */
function streamEntries(reply: unknown): BufferEntry[] {
  return (reply as [Buffer, BufferEntry[]][] | null)?.[0]?.[1] ?? [];
}

/** Entries one pull examines at most, so a script never holds the server long. */
const SCAN_LIMIT = 2_000;

/**
 * The Redis consumer every member reads as. Which member holds a delivery is not Redis's business
 * here (a lease ends by idle time, whoever holds it), and consumers named per process would pile
 * up in the group with every restart.
 */
export const CONSUMER = 'herald';

/** The idle time (ms, ten years) given back entries get: expired under any ackWaitMs. */
const RELEASED_IDLE = 315_360_000_000;

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
 * A consumer group of the Redis log: a Redis consumer group of the same name on the events stream
 * (XREADGROUP, XAUTOCLAIM, XACK, XPENDING for delivery counts), plus a due zset for what a PEL
 * cannot hold (nack delays, redrives) and Herald's dead letters (see `docs/redis.md`). `pull.lua`
 * claims due redeliveries, then expired leases, then new matching events; `nack.lua` moves a
 * delivery to the due zset or dead-letters it; `ack.lua` XACKs and forgets. Leases and due times
 * use the server's clock, so members on any machine agree. Its state is in Redis, shared by
 * members in any process; a group lost with the server's data is created again by the next pull.
 * Internal: obtained through `log.group(name)`.
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
  /** The options as JSON, for pull.lua to create the group again after a data loss. */
  #json: string;
  /** The group takes every type (a `>` pattern): new entries are never skipped. */
  #all: boolean;
  /** The last new entries were mostly of other types: new entries are scanned inside pull.lua. */
  #sparse = false;
  /** The last look found no redelivery: the next looks with plain commands first (`#look`). */
  #quiet = true;
  /** What this group's deliveries call on ack and nack: one object per group, none per delivery. */
  readonly #settle: DeliverySettle = {
    ack: (position) => this.#ackDelivery(position),
    nack: (position, deliveryCount, token, options) =>
      this.#nackDelivery(position, deliveryCount, token, options),
  };

  constructor(ctx: RedisContext, name: string, options: ResolvedGroupOptions, ack: AckFn) {
    this.#ctx = ctx;
    this.name = name;
    this.#keys = ctx.keys.group(name);
    this.#ack = ack;
    this.#options = options;
    this.#matches = typeMatcher(options.types);
    this.#all = options.types.includes('>');
    this.#json = optionsJson(options);
  }

  get options(): ResolvedGroupOptions {
    return this.#options;
  }

  refresh(options: ResolvedGroupOptions): void {
    this.#options = options;
    this.#matches = typeMatcher(options.types);
    this.#all = options.types.includes('>');
    this.#json = optionsJson(options);
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
      const round = await this.#round(max, stopped);
      if (round.redeliveries.length > 0 || round.fresh.length > 0) {
        return this.#deliveries(round.redeliveries, round.fresh);
      }
      if (round.more || round.read > 0) continue; // entries were looked at: there may be more
      if (stopped() || Date.now() >= deadline) return [];
      if (ctx.appended.seq !== seen[0] || changed.seq !== seen[1]) continue;
      if (round.nextDue === 0) continue;
      const left = deadline - Date.now();
      const wait = Math.min(left, round.nextDue < 0 ? Infinity : round.nextDue, ctx.options.pollIntervalMs);
      await waitForAny([ctx.appended.notifier, changed.notifier], wait, signal);
    }
  }

  /**
   * One look for deliveries. While the group has had no redeliveries: `#look`'s plain commands and
   * XREADGROUP in one round trip, then `pull.lua` only if something may be due. After
   * redeliveries: `pull.lua` first, then XREADGROUP for what is left of `max`. While the group's
   * types are sparse: new events scanned inside the script.
   */
  async #round(max: number, stopped: () => boolean): Promise<Round> {
    const ctx = this.#ctx;
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
    const base = [max, SCAN_LIMIT, this.#json, this.name, CONSUMER];
    if (this.#sparse) {
      const reply = (await ctx.script('pull', keys, [...base, 'scan'], { stopped })) as PullReply;
      const [nextDue, more, , redeliveries, fresh, examined] = reply;
      if (examined > 0 && fresh.length * 2 >= examined) this.#sparse = false;
      return { nextDue, more: more === 1, redeliveries, fresh, read: examined };
    }
    const events = ctx.keys.events;
    const read = (count: number) =>
      ['GROUP', this.name, CONSUMER, 'COUNT', count, 'STREAMS', events, '>'] as const;
    let reply: PullReply;
    let readReply: [Error | null, unknown];
    if (this.#quiet) {
      const look = await ctx.call((c) => this.#look(c, () => c.xreadgroupBuffer(...read(max))), { stopped });
      readReply = look.read;
      // Nothing for the script to do: no due redelivery, no lease that may have expired.
      reply = look.idle
        ? [look.nextDue, 0, 0, [], [], 0]
        : ((await ctx.script('pull', keys, [...base, 'client'], { stopped })) as PullReply);
    } else {
      reply = (await ctx.script('pull', keys, [...base, 'client'], { stopped })) as PullReply;
      const left = max - reply[3].length / 4;
      readReply = [null, null];
      if (left > 0) {
        readReply = await ctx
          .call((c) => c.xreadgroupBuffer(...read(left)), { stopped })
          .then(
            (result) => [null, result] as [null, unknown],
            (error: unknown) => [asError(error), null],
          );
      }
    }
    const [error, result] = readReply;
    // NOGROUP: the Redis group is gone (the server lost it, or it was destroyed) and pull.lua's
    // fast path did not look; its scan mode creates it again.
    if (error !== null && !error.message.startsWith('NOGROUP')) throw error;
    if (error !== null) this.#sparse = true;
    const more = error !== null;
    const entries = error === null ? streamEntries(result) : [];
    const [nextDue, scriptMore, , redeliveries] = reply;
    const claimed = redeliveries.length / 4;
    this.#quiet = claimed === 0;
    let fresh = entries;
    if (!this.#all) {
      fresh = [];
      for (const entry of entries) {
        if (this.#matches(bufferType(entry[1]))) fresh.push(entry);
        // Not the group's: acked with the next acks (if that fails, it is reclaimed and skipped later).
        else void this.#ack(this.name, bufferNumber(entry[0])).catch(() => undefined);
      }
      if (fresh.length * 2 < entries.length) this.#sparse = true;
    }
    if (claimed + fresh.length > max) await this.#release(fresh.splice(max - claimed));
    return { nextDue, more: more || scriptMore === 1, redeliveries, fresh, read: entries.length };
  }

  /**
   * The fast path of a quiet group, in one round trip of plain commands: the server's TIME, the
   * group hash's state (`origin`, the XAUTOCLAIM cursor `claim`, `claimAt`), the first of the due
   * zset, and XREADGROUP for new events. `idle` when pull.lua would find nothing (the hash exists,
   * no sweep is under way, no lease can have expired before claimAt, nothing in the due zset is
   * due): then no script runs. Else the caller runs pull.lua after it (what it redelivers goes
   * first, and new entries past `max` are given back).
   */
  async #look(
    c: Redis,
    readNew: () => Promise<unknown>,
  ): Promise<{ idle: boolean; nextDue: number; read: [Error | null, unknown] }> {
    const k = this.#keys;
    const time = c.time();
    const state = c.hmget(k.hash, 'origin', 'claim', 'claimAt');
    const first = c.zrange(k.due, '0', '0', 'WITHSCORES');
    const entries = readNew().then(
      (result): [null, unknown] => [null, result],
      (error: unknown): [Error, null] => [asError(error), null],
    );
    const [[seconds, micros], [origin, claim, claimAtText], due] = await Promise.all([time, state, first]);
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const claimAt = Number(claimAtText ?? 0);
    const dueAt = due.length >= 2 ? Number(due[1]) : Infinity;
    const idle = origin !== null && (claim === null || claim === '0-0') && now < claimAt && now < dueAt;
    // As pull.lua's: ms until something may come due (at least 1, so a wait never spins).
    const nextDue = Math.max(1, Math.min(claimAt, dueAt) - now);
    return { idle, nextDue, read: await entries };
  }

  /**
   * Gives back new entries read beyond `max` (the script found redeliveries in the same round
   * trip): they stay in the PEL with no delivery counted and long idle, and claimAt is cleared, so
   * the next pull's XAUTOCLAIM takes them first, as delivery 1.
   */
  async #release(entries: BufferEntry[]): Promise<void> {
    const ctx = this.#ctx;
    const ids = entries.map(([id]) => id);
    await ctx.call((c) =>
      c
        .multi()
        .xclaim(
          ctx.keys.events,
          this.name,
          CONSUMER,
          0,
          ...ids,
          'IDLE',
          RELEASED_IDLE,
          'RETRYCOUNT',
          0,
          'JUSTID',
        )
        .hdel(this.#keys.hash, 'claimAt')
        .exec(),
    );
  }

  /** `token` 0: a delivery from the PEL, told apart from a stale one by its delivery count. */
  #deliveries(
    redeliveries: (number | string | string[])[],
    fresh: StreamEntry[] | BufferEntry[],
  ): GroupDelivery[] {
    const out: GroupDelivery[] = [];
    for (let i = 0; i < redeliveries.length; i += 4) {
      const position = Number(redeliveries[i]);
      const event = decodeFields(position, redeliveries[i + 3] as string[]);
      const count = Number(redeliveries[i + 1]);
      out.push(new RedisDelivery(this.#settle, event, position, count, Number(redeliveries[i + 2])));
    }
    for (const [id, fields] of fresh) {
      const position = typeof id === 'string' ? entryPosition(id) : bufferNumber(id);
      out.push(new RedisDelivery(this.#settle, decodeFields(position, fields), position, 1, 0));
    }
    return out;
  }

  /** The ack of a delivery, through `#settle`. */
  #ackDelivery(position: number): Promise<void> {
    this.#ctx.assertOpen();
    // Even a stale delivery's ack counts: the handler did the work.
    return this.#ack(this.name, position);
  }

  /** The nack of a delivery, through `#settle`. */
  async #nackDelivery(
    position: number,
    deliveryCount: number,
    token: number,
    options: NackOptions,
  ): Promise<void> {
    const ctx = this.#ctx;
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
      this.name,
      deliveryCount,
    ];
    const outcome = Number(await ctx.script('nack', keys, args));
    if (outcome === 1) ctx.groupWakeup(this.name).fire();
  }

  async info(): Promise<GroupInfo> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const k = this.#keys;
    const reply = (await ctx.script('group-info', [k.due, k.dead, ctx.keys.events], [this.name])) as number[];
    const [deliveredOrNone, pelCount, pelMin, dueCount, dueMin, deadLetters] = reply as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    // No Redis group: the server lost it, and the next pull creates it again at the loss.
    const delivered = deliveredOrNone < 0 ? ctx.knownLast : deliveredOrNone;
    let lag = 0;
    for (let from = `${delivered + 1}-0`; ;) {
      const page = ctx.options.readPageSize;
      const entries = (await ctx.call((c) =>
        c.xrange(ctx.keys.events, from, '+', 'COUNT', page),
      )) as StreamEntry[];
      for (const [, fields] of entries) if (this.#matches(typeOf(fields))) lag++;
      if (entries.length < page) break;
      from = `(${entries.at(-1)![0]}`;
    }
    const lowest = Math.min(pelMin || Infinity, dueMin || Infinity);
    return {
      name: this.name,
      ackedPosition: lowest === Infinity ? delivered : lowest - 1,
      deliveredPosition: delivered,
      pending: pelCount + dueCount,
      lag,
      deadLetters,
    };
  }

  async status(position: number): Promise<EventStatus | undefined> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    if (!Number.isSafeInteger(position) || position < 1) return undefined;
    const k = this.#keys;
    const keys = [k.hash, k.due, k.dead, ctx.keys.events];
    const [type, origin, delivered, pending, dead] = (await ctx.script('group-status', keys, [
      this.name,
      position,
    ])) as [string, string, number, number, number];
    return eventStatus({
      matches: type !== '' && this.#matches(type),
      afterStart: position > Number(origin),
      delivered: position <= delivered,
      dead: dead === 1,
      pending: pending === 0 ? undefined : { due: pending === 2 },
    });
  }

  /** One page of the dead zset (scored by position) from `after`: O(log D + limit). */
  async deadLetters(options: GroupPageOptions = {}): Promise<GroupDeadLetter[]> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const { limit, after } = deadLetterPage(options);
    if (limit === 0) return [];
    const k = this.#keys;
    const count = String(Math.min(limit, 2 ** 31 - 1));
    const positions = await ctx.call((c) => c.zrangebyscore(k.dead, `(${after}`, '+inf', 'LIMIT', 0, count));
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

  /**
   * One page from `group-pending.lua`: the PEL read in position order from `after` (XPENDING,
   * O(limit) entries) merged with the due zset, which is ordered by due time and so read whole
   * (O(Z log Z) for Z nacked or redriven deliveries not yet acked). Due times are the server's clock.
   */
  async pending(options: GroupPageOptions = {}): Promise<GroupPending[]> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    const { limit, after } = pendingPage(options);
    const k = this.#keys;
    const keys = [k.due, k.counts, k.errors, ctx.keys.events, k.hash];
    const rows = (await ctx.script('group-pending', keys, [this.name, after, limit])) as [
      number,
      number,
      number,
      string | null,
      string[],
    ][];
    return rows.map(([position, deliveries, dueAt, error, fields]) => ({
      event: decodeFields(position, fields),
      deliveries,
      error: error ?? undefined,
      dueAt: new Date(dueAt).toISOString(),
    }));
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

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
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

/** What `nack` takes. */
type NackOptions = { delayMs?: number; error?: unknown; deadLetter?: boolean };

/** The group's ack and nack as its deliveries reach them; the group's own methods stay private. */
interface DeliverySettle {
  ack(position: number): Promise<void>;
  nack(position: number, deliveryCount: number, token: number, options: NackOptions): Promise<void>;
}

/**
 * One delivery of a Redis group. Its methods live on the class (a pulled batch allocates no
 * closures per delivery) and call the group's through its `DeliverySettle`.
 */
class RedisDelivery implements GroupDelivery {
  readonly event: StoredEvent;
  readonly deliveryCount: number;
  readonly #settle: DeliverySettle;
  readonly #position: number;
  readonly #token: number;

  constructor(
    settle: DeliverySettle,
    event: StoredEvent,
    position: number,
    deliveryCount: number,
    token: number,
  ) {
    this.#settle = settle;
    this.event = event;
    this.#position = position;
    this.deliveryCount = deliveryCount;
    this.#token = token;
  }

  ack(): Promise<void> {
    return this.#settle.ack(this.#position);
  }

  nack(options: NackOptions = {}): Promise<void> {
    return this.#settle.nack(this.#position, this.deliveryCount, this.#token, options);
  }
}
