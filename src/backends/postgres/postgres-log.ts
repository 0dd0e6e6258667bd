import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { HeraldError } from '../../errors/index.js';
import { resolveGroupOptions } from '../../log/group-options.js';
import { checkInteger, checkName } from '../../log/invalid-option.js';
import { checkDuplicates } from '../../log/duplicate-check.js';
import { prepareAppend } from '../../log/prepare-append.js';
import { checkLogPosition, readFilter } from '../../log/read-filter.js';
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
import { AckBatcher } from '../../log/group-ack-batcher.js';
import { applyRetentionNow, commitRound, withHead, type CommitContext } from './append-commit.js';
import { AppendQueue } from './append-queue.js';
import { appendRequest } from './append-round.js';
import { ChangeListener } from './change-listener.js';
import { EventReader } from './event-reader.js';
import { openGroup } from './open-group.js';
import type { PgContext, QueryRetry } from './log-context.js';
import type { ResolvedPostgresOptions } from './options.js';
import { withRetry } from './pg-errors.js';
import { PgGroup } from './pg-group.js';
import { PgSubscription } from './pg-subscription.js';
import { PgScheduleStore } from './schedule-store.js';
import { tailStart } from '../../log/paged-tail.js';
import type { SchemaSql } from './sql-file.js';
import { typeRegexes } from './type-regex.js';
import { Wakeup } from '../../log/kit/wakeup.js';
import { groupSurface } from '../../log/surface.js';

/** What `PostgresLog` is built from. Internal. */
export interface PostgresLogParts {
  readonly pool: Pool;
  /** True when the log made the pool (from a connection string) and ends it at close. */
  readonly ownsPool: boolean;
  readonly sql: SchemaSql;
  readonly options: ResolvedPostgresOptions;
  /** The last position assigned when the log opened. */
  readonly last: number;
  /** Whether the server flushes commits to disk before they return. */
  readonly durableCommit: boolean;
  /** Whether a commit's WAL leaves the server's memory before it returns (`synchronous_commit` not off). */
  readonly walCommit: boolean;
}

/**
 * The EventLog over one schema of a PostgreSQL database. Internal: see `postgresLog`.
 *
 * @example
 * ```ts
 * const log = new PostgresLog({ pool, ownsPool: false, sql, options, last: 0, durableCommit: true, walCommit: true });
 * await log.listen();
 * ```
 */
export class PostgresLog implements EventLog, PgContext {
  readonly capabilities: LogCapabilities;
  readonly pool: Pool;
  readonly sql: SchemaSql;
  readonly options: ResolvedPostgresOptions;
  readonly appended = new Wakeup();
  readonly #ownsPool: boolean;
  readonly #queue: AppendQueue;
  readonly #listener: ChangeListener;
  readonly #acks: AckBatcher;
  readonly #commit: CommitContext;
  readonly #groups = new Map<string, PgGroup>();
  readonly #groupWakeups = new Map<number, Wakeup>();
  readonly #subscriptions = new Set<PgSubscription>();
  readonly #stop = new AbortController();
  readonly #schedules: PgScheduleStore;
  readonly #scheduling: Scheduling;
  #knownLast: number;
  /** The highest position readers were woken for: a notification up to it is old news. */
  #signaled: number;
  #closing: Promise<void> | undefined;

  constructor(parts: PostgresLogParts) {
    const { pool, sql, options } = parts;
    this.pool = pool;
    this.sql = sql;
    this.options = options;
    this.#ownsPool = parts.ownsPool;
    this.#knownLast = this.#signaled = parts.last;
    this.capabilities = Object.freeze({
      name: 'postgres',
      survivesReopen: true,
      survivesServerRestart: parts.walCommit,
      fsync: parts.durableCommit,
      consumerGroups: true,
      multiProcess: true,
    });
    const { maxEvents, maxAgeMs } = options;
    const retention = maxEvents === undefined && maxAgeMs === undefined ? undefined : { maxEvents, maxAgeMs };
    this.#commit = { pool, sql, retention, retryTimeoutMs: options.retryTimeoutMs };
    this.#queue = new AppendQueue({
      maxBatch: options.maxBatchEvents,
      maxQueued: options.maxQueuedEvents,
      commit: (requests, since) => commitRound(this.#commit, requests, since),
      committed: (result) => this.#wake(result.last),
    });
    this.#acks = new AckBatcher((groups, positions) =>
      this.query(sql.query('ack-pending', [groups, positions])),
    );
    this.#listener = new ChangeListener(pool.options, sql.channel, {
      appended: (last) => {
        this.noteLast(last);
        if (last > this.#signaled) this.#wake(last);
      },
      groupChanged: (id) => this.#groupWakeups.get(id)?.fire(),
      scheduleAdded: (payload) => this.#schedules.notified(payload),
      reconnected: () => {
        this.#wakeAll();
        this.#schedules.reconnected();
      },
    });
    this.#schedules = new PgScheduleStore(this);
    // Last: it checks its options (a bad one fails the constructor) and starts the mover.
    this.#scheduling = new Scheduling(
      this.#schedules,
      (events, o) => this.#append(events, o),
      options.scheduler,
    );
  }

  /** Starts listening for other processes' changes; the factory awaits it before handing the log out. */
  listen(): Promise<void> {
    return this.#listener.start();
  }

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
    if (this.#closing !== undefined) throw new HeraldError('LOG_CLOSED', 'the postgres log is closed');
  }

  noteLast(position: number): void {
    if (position > this.#knownLast) this.#knownLast = position;
  }

  query<R extends QueryResultRow>(config: QueryConfig, retry: QueryRetry = {}): Promise<QueryResult<R>> {
    return withRetry(() => this.pool.query<R>(config), {
      timeoutMs: retry.timeoutMs ?? this.options.retryTimeoutMs,
      stopped: () => this.closed || retry.stopped?.() === true,
      signal: retry.signal ?? this.#stop.signal,
    });
  }

  groupWakeup(id: number): Wakeup {
    let wakeup = this.#groupWakeups.get(id);
    if (wakeup === undefined) this.#groupWakeups.set(id, (wakeup = new Wakeup()));
    return wakeup;
  }

  async append(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    this.assertOpen();
    return this.#append(inputs, options);
  }

  /** `append` without the closed check: the mover finishes a move while the log closes. */
  async #append(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    const prepared = prepareAppend(inputs, options);
    if (prepared.events.length === 0) return [];
    const appended = await this.#queue.submit(appendRequest(prepared));
    return checkDuplicates(prepared.events, appended, (id) => this.get(id));
  }

  read(options?: ReadOptions): AsyncIterable<StoredEvent> {
    this.assertOpen();
    const filter = readFilter(options);
    return { [Symbol.asyncIterator]: () => new EventReader(this, filter) };
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    this.assertOpen();
    const { rows } = await this.query<{ event: StoredEvent }>(this.sql.query('select-event-by-id', [id]));
    return rows[0]?.event;
  }

  subscribe(options: LogSubscribeOptions = {}): LogSubscription {
    this.assertOpen();
    const from = checkLogPosition('from', options.from ?? 'end');
    const batchSize = checkInteger('batchSize', options.batchSize ?? 256, 1);
    const regexes = typeRegexes(options.types);
    // 'end' is the last position this process knows of: its own appends are always known, and
    // other processes' ones as soon as their notification came.
    const start = tailStart(from, this.#knownLast);
    const onClose = (s: PgSubscription): void => void this.#subscriptions.delete(s);
    const subscription = new PgSubscription(this, start, { regexes, batchSize, onClose });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async group(name: string, options: GroupOptions = {}): Promise<ConsumerGroup> {
    this.assertOpen();
    checkName('group', name);
    resolveGroupOptions(options); // refuses bad options before anything is written
    const startAt = checkLogPosition('startAt', options.startAt ?? 'end');
    const { startAt: _, ...rest } = options;
    const row = await openGroup(this, name, rest, startAt);
    let group = this.#groups.get(name);
    if (group === undefined) {
      group = new PgGroup(this, name, row, (id, position) => this.#acks.ack(id, position));
      this.#groups.set(name, group);
    } else group.refresh(row);
    return groupSurface(group);
  }

  async groups(): Promise<string[]> {
    this.assertOpen();
    const { rows } = await this.query<{ name: string }>(this.sql.query('select-group-names', []));
    return rows.map((row) => row.name);
  }

  async streamVersion(stream: string): Promise<number> {
    this.assertOpen();
    const query = this.sql.query('select-stream-version', [checkName('stream', stream)]);
    return (await this.query<{ version: number }>(query)).rows[0]!.version;
  }

  async truncateStream(stream: string, beforeVersion: number): Promise<number> {
    this.assertOpen();
    checkName('stream', stream);
    checkInteger('beforeVersion', beforeVersion, 0);
    return this.#deleteEvents(this.sql.query('truncate-stream', [stream, beforeVersion]));
  }

  async deleteStream(stream: string): Promise<number> {
    this.assertOpen();
    return this.#deleteEvents(this.sql.query('delete-stream', [checkName('stream', stream)]));
  }

  async applyRetention(): Promise<number> {
    this.assertOpen();
    const { maxEvents, maxAgeMs } = this.options;
    if (maxEvents === undefined && maxAgeMs === undefined) return 0;
    return applyRetentionNow(this.#commit, { maxEvents, maxAgeMs });
  }

  async bounds(): Promise<{ first: number; last: number }> {
    this.assertOpen();
    return (await this.query<{ first: number; last: number }>(this.sql.query('select-bounds', []))).rows[0]!;
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
    // First: a move in progress finishes its append (the queue is still open) and completes.
    await this.#scheduling.close();
    this.#schedules.close();
    this.#stop.abort();
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    this.#wakeAll(); // waiting pulls see the log closed and return []
    await this.#queue.close();
    await this.#acks.close();
    await this.#listener.close();
    if (this.#ownsPool) await this.pool.end();
  }

  /**
   * Runs a delete while holding the head, like every writer of events: taking the head after
   * the rows could deadlock with an append that re-uses an id being deleted.
   */
  #deleteEvents(query: QueryConfig): Promise<number> {
    const attempt = (): Promise<number> =>
      withHead(this.#commit, async (client) => {
        const n = (await client.query<{ n: number }>(query)).rows[0]!.n;
        return { value: n, wrote: n > 0 };
      });
    return withRetry(attempt, { timeoutMs: this.options.retryTimeoutMs });
  }

  /** Wakes tails and pulls for appends up to `last` (committed here, or notified). */
  #wake(last: number): void {
    this.noteLast(last);
    if (last > this.#signaled) this.#signaled = last;
    this.appended.fire();
  }

  #wakeAll(): void {
    this.appended.fire();
    for (const wakeup of this.#groupWakeups.values()) wakeup.fire();
  }
}
