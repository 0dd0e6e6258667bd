import type { Redis } from 'ioredis';
import { HeraldError } from '../../errors/index.js';
import { resolveGroupOptions } from '../../log/group-options.js';
import { checkInteger, checkName } from '../../log/invalid-option.js';
import { checkDuplicates } from '../../log/duplicate-check.js';
import { prepareAppend } from '../../log/prepare-append.js';
import { checkLogPosition, readFilter } from '../../log/read-filter.js';
import { typeMatcher } from '../../log/type-matcher.js';
import { Scheduling } from '../../log/kit/schedule.js';
import type {
  Scheduled,
  ScheduledEvent,
  ScheduledPageOptions,
  ScheduleOptions,
  AppendInput,
  AppendOptions,
  Appended,
  ConsumerGroup,
  EventLog,
  GroupOptions,
  LogCapabilities,
  LogSubscribeOptions,
  LogSubscription,
  ReadOptions,
  StoredEvent,
} from '../../log/types.js';
import { Wakeup } from '../../log/kit/wakeup.js';
import { AckBatcher } from '../../log/group-ack-batcher.js';
import { AppendBatcher } from '../../log/append-batcher.js';
import { appendRound } from './append-round.js';
import { decodeEntry, type StreamEntry } from './event-codec.js';
import { firstRecordedFrom, readEvents } from './event-reader.js';
import { LogKeys } from './keys.js';
import type { CallRetry, RedisContext } from './log-context.js';
import type { ResolvedRedisOptions } from './options.js';
import { dropUnmatched } from './drop-unmatched.js';
import { optionsJson, RedisGroup, storedOptions } from './redis-group.js';
import { withRetry } from './redis-errors.js';
import { RedisSubscription } from './redis-subscription.js';
import { RedisScheduleStore } from './schedule-store.js';
import { tailStart } from '../../log/paged-tail.js';
import type { ScriptName, ScriptRunner } from './scripts.js';
import { TailWatcher } from './tail-watcher.js';
import { groupSurface } from '../../log/surface.js';

/** What `RedisLog` is built from. Internal. */
export interface RedisLogParts {
  readonly client: Redis;
  readonly blocker: Redis;
  readonly scripts: ScriptRunner;
  readonly options: ResolvedRedisOptions;
  readonly capabilities: LogCapabilities;
  /** The last position assigned when the log opened. */
  readonly last: number;
  /** Ends the connections the log made (not a client it was given). */
  readonly release: () => Promise<void>;
}

/**
 * The EventLog over one key prefix of a Redis server. Internal: see `redisLog`.
 *
 * @example
 * ```ts
 * const log = new RedisLog({ client, blocker, scripts, options, capabilities, last: 0, release });
 * ```
 */
export class RedisLog implements EventLog, RedisContext {
  readonly capabilities: LogCapabilities;
  readonly client: Redis;
  readonly keys: LogKeys;
  readonly options: ResolvedRedisOptions;
  readonly appended = new Wakeup();
  readonly #scripts: ScriptRunner;
  readonly #release: () => Promise<void>;
  readonly #batcher: AppendBatcher;
  readonly #acks: AckBatcher;
  readonly #watcher: TailWatcher;
  readonly #groups = new Map<string, RedisGroup>();
  readonly #groupWakeups = new Map<string, Wakeup>();
  readonly #subscriptions = new Set<RedisSubscription>();
  readonly #stop = new AbortController();
  readonly #scheduling: Scheduling;
  #knownLast: number;
  #closing: Promise<void> | undefined;

  constructor(parts: RedisLogParts) {
    this.client = parts.client;
    this.options = parts.options;
    this.capabilities = parts.capabilities;
    this.keys = new LogKeys(parts.options.prefix);
    this.#scripts = parts.scripts;
    this.#release = parts.release;
    this.#knownLast = parts.last;
    const hooks = {
      dataLost: (lostUpTo: number) =>
        this.options.onDataLoss({ lostUpTo, detectedAt: new Date().toISOString() }),
      written: async (last: number) => {
        if (this.options.maxEvents !== undefined || this.options.maxAgeMs !== undefined) {
          await this.#retain().catch(() => undefined); // applied again after the next round
        }
        this.noteLast(last);
        this.appended.fire();
      },
    };
    this.#batcher = new AppendBatcher(
      (requests) => appendRound(this, requests, hooks),
      parts.options.maxBatchEvents,
      parts.options.maxQueuedEvents,
    );
    // Groups are numbered for the batcher; the name is what the keys need.
    const names: string[] = [];
    this.#acks = new AckBatcher(async (groups, positions) => {
      const byGroup = new Map<number, string[]>();
      groups.forEach((g, i) => {
        let ids = byGroup.get(g);
        if (ids === undefined) byGroup.set(g, (ids = []));
        ids.push(`${positions[i]!}-0`);
      });
      await Promise.all(
        [...byGroup].map(([g, list]) => {
          const name = names[g]!;
          const k = this.keys.group(name);
          // A plain XACK; when it acked fewer than asked, some were not in the PEL (redelivered
          // from the due zset, or acked already): ack.lua then looks in the due zset too.
          return this.call(async (c) => {
            const acked = await c.xack(this.keys.events, name, ...list);
            if (acked < list.length) {
              const keys = [k.due, k.counts, k.tokens, k.errors, this.keys.events];
              await this.#scripts.run('ack', keys, [name, ...list]);
            }
          });
        }),
      );
    });
    this.#ackGroup = (name, position) => {
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      return this.#acks.ack(index, position);
    };
    this.#watcher = new TailWatcher(parts.blocker, this.keys, parts.last, parts.options.pollIntervalMs, {
      appended: (last) => {
        this.noteLast(last);
        this.appended.fire();
      },
      reconnected: () => this.#wakeAll(),
    });
    this.#watcher.start();
    const store = new RedisScheduleStore(this, () => {
      // Its own connection: a subscribed one runs nothing else, nor does the blocking reader.
      // It queues the SUBSCRIBE until it is connected, and ioredis subscribes again after a reconnect.
      const sub = this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      sub.on('error', () => undefined);
      return sub;
    });
    this.#scheduling = new Scheduling(
      store,
      (events, o) => this.#appendDue(events, o),
      parts.options.scheduler,
    );
  }

  readonly #ackGroup: (name: string, position: number) => Promise<void>;

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  get stopped(): AbortSignal {
    return this.#stop.signal;
  }

  get knownLast(): number {
    return this.#knownLast;
  }

  assertOpen(): void {
    if (this.#closing !== undefined) throw new HeraldError('LOG_CLOSED', 'the redis log is closed');
  }

  noteLast(position: number): void {
    if (position > this.#knownLast) {
      this.#knownLast = position;
      this.#watcher.note(position);
    }
  }

  call<T>(fn: (client: Redis) => Promise<T>, retry: CallRetry = {}): Promise<T> {
    return withRetry(() => fn(this.client), {
      timeoutMs: retry.timeoutMs ?? this.options.retryTimeoutMs,
      stopped: () => this.closed || retry.stopped?.() === true,
      signal: retry.signal ?? this.#stop.signal,
    });
  }

  script(
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
    retry?: CallRetry,
  ): Promise<unknown> {
    return this.call(() => this.#scripts.run(name, keys, args), retry);
  }

  groupWakeup(name: string): Wakeup {
    let wakeup = this.#groupWakeups.get(name);
    if (wakeup === undefined) this.#groupWakeups.set(name, (wakeup = new Wakeup()));
    return wakeup;
  }

  async append(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    this.assertOpen();
    return this.#appendDue(inputs, options);
  }

  /** `append` without the open check: the mover's appends go on while `close` waits for them. */
  async #appendDue(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    const prepared = prepareAppend(inputs, options);
    if (prepared.events.length === 0) return [];
    const appended = await this.#batcher.submit(prepared);
    return checkDuplicates(prepared.events, appended, (id) => this.#stored(id));
  }

  read(options?: ReadOptions): AsyncIterable<StoredEvent> {
    this.assertOpen();
    const filter = readFilter(options);
    return { [Symbol.asyncIterator]: () => readEvents(this, filter) };
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    this.assertOpen();
    return this.#stored(id);
  }

  async #stored(id: string): Promise<StoredEvent | undefined> {
    const position = await this.call((c) => c.hget(this.keys.ids, id));
    if (position === null) return undefined;
    const entryId = `${position}-0`;
    const [entry] = (await this.call((c) => c.xrange(this.keys.events, entryId, entryId))) as StreamEntry[];
    return entry === undefined ? undefined : decodeEntry(entry);
  }

  subscribe(options: LogSubscribeOptions = {}): LogSubscription {
    this.assertOpen();
    const from = checkLogPosition('from', options.from ?? 'end');
    const batchSize = checkInteger('batchSize', options.batchSize ?? 256, 1);
    const matches = typeMatcher(options.types);
    // 'end' is the last position this process knows of: its own appends are always known, and
    // other processes' ones as soon as the blocking reader saw them.
    const start = tailStart(from, this.#knownLast);
    const onClose = (s: RedisSubscription): void => void this.#subscriptions.delete(s);
    const subscription = new RedisSubscription(this, start, { matches, batchSize, onClose });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async group(name: string, options: GroupOptions = {}): Promise<ConsumerGroup> {
    this.assertOpen();
    checkName('group', name);
    const { startAt: rawStart, ...rest } = options;
    const fresh = resolveGroupOptions(rest); // refuses bad options before anything is written
    const startAt = checkLogPosition('startAt', rawStart ?? 'end');
    let cursor: string | number = 'end';
    if (startAt === 'start') cursor = 0;
    else if (typeof startAt === 'number') cursor = Math.max(0, startAt - 1);
    else if (startAt instanceof Date) {
      const first = await firstRecordedFrom(this, startAt.getTime());
      if (first !== 0) cursor = first - 1;
    }
    const k = this.keys.group(name);
    const keys = [k.hash, this.keys.groups, this.keys.meta, this.keys.events];
    const [created, stored] = (await this.script('open-group', keys, [name, optionsJson(fresh), cursor])) as [
      number,
      string,
    ];
    let resolved = created === 1 ? fresh : storedOptions(stored);
    if (created === 0 && Object.values(rest as Record<string, unknown>).some((v) => v !== undefined)) {
      resolved = resolveGroupOptions(rest, resolved);
      const json = optionsJson(resolved);
      // claimAt was worked out with the old ackWaitMs: pull.lua looks at the PEL again.
      await this.call((c) => c.multi().hset(k.hash, 'options', json).hdel(k.hash, 'claimAt').exec());
      const before = storedOptions(stored).types;
      if (JSON.stringify(resolved.types) !== JSON.stringify(before)) {
        await dropUnmatched(this, name, typeMatcher(resolved.types));
      }
    }
    let group = this.#groups.get(name);
    if (group === undefined) {
      group = new RedisGroup(this, name, resolved, this.#ackGroup);
      this.#groups.set(name, group);
    } else group.refresh(resolved);
    return groupSurface(group);
  }

  async groups(): Promise<string[]> {
    this.assertOpen();
    return (await this.call((c) => c.smembers(this.keys.groups))).sort();
  }

  async streamVersion(stream: string): Promise<number> {
    this.assertOpen();
    const key = this.keys.stream(checkName('stream', stream));
    const top = await this.call((c) => c.zrevrange(key, 0, 0, 'WITHSCORES'));
    return top[1] === undefined ? 0 : Number(top[1]);
  }

  async truncateStream(stream: string, beforeVersion: number): Promise<number> {
    this.assertOpen();
    checkName('stream', stream);
    checkInteger('beforeVersion', beforeVersion, 0);
    return this.#delete(['stream', stream, beforeVersion]);
  }

  async deleteStream(stream: string): Promise<number> {
    this.assertOpen();
    return this.#delete(['stream', checkName('stream', stream), '']);
  }

  async applyRetention(): Promise<number> {
    this.assertOpen();
    return this.#retain();
  }

  async bounds(): Promise<{ first: number; last: number }> {
    this.assertOpen();
    const [first, last] = await this.call((c) =>
      Promise.all([
        c.xrange(this.keys.events, '-', '+', 'COUNT', 1),
        c.xrevrange(this.keys.events, '+', '-', 'COUNT', 1),
      ]),
    );
    const position = (entries: [string, string[]][]): number =>
      entries[0] === undefined ? 0 : Number.parseInt(entries[0][0], 10);
    return { first: position(first), last: position(last) };
  }

  async schedule(events: readonly AppendInput[], options: ScheduleOptions): Promise<Scheduled[]> {
    this.assertOpen();
    return this.#scheduling.schedule(events, options);
  }

  async cancelScheduled(id: string): Promise<boolean> {
    this.assertOpen();
    return this.#scheduling.cancelScheduled(id);
  }

  async scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]> {
    this.assertOpen();
    return this.#scheduling.scheduled(options);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // First: a move under way finishes its appends (through the batcher, still open).
    await this.#scheduling.close();
    await this.#batcher.close();
    await this.#acks.close();
    this.#stop.abort();
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    this.#wakeAll(); // waiting pulls see the log closed and return []
    await this.#watcher.close();
    await this.#release();
  }

  #retain(): Promise<number> {
    const { maxEvents, maxAgeMs } = this.options;
    if (maxEvents === undefined && maxAgeMs === undefined) return Promise.resolve(0);
    return this.#delete(['retention', maxEvents ?? '', maxAgeMs ?? '']);
  }

  async #delete(args: (string | number)[]): Promise<number> {
    const keys = [this.keys.meta, this.keys.events, this.keys.ids];
    return Number(await this.script('delete', keys, [this.keys.streamPrefix, ...args]));
  }

  #wakeAll(): void {
    this.appended.fire();
    for (const wakeup of this.#groupWakeups.values()) wakeup.fire();
  }
}
