import type Database from 'better-sqlite3';
import { HeraldError } from '../../errors/index.js';
import { checkInteger, checkName } from '../../log/invalid-option.js';
import { Notifier } from '../../log/notifier.js';
import { settle } from '../../log/settle.js';
import { checkDuplicates } from '../../log/duplicate-check.js';
import { prepareAppend } from '../../log/prepare-append.js';
import { checkLogPosition, readFilter } from '../../log/read-filter.js';
import { resolveGroupOptions } from '../../log/group-options.js';
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
import { appendOp } from './append-op.js';
import { roundCommitter } from './commit-round.js';
import { openGroupOp } from './group-store.js';
import type { LogContext } from './log-context.js';
import type { ResolvedSqliteOptions } from './options.js';
import { EventReader } from './event-reader.js';
import { firstRecordedAtOrAfter, lastPosition, MAX_POSITION, readPage, type ReadPlan } from './read-plan.js';
import { applyRetentionChunk } from './retention.js';
import { sqliteScheduleStore } from './schedule-store.js';
import { SqliteGroup } from './sqlite-group.js';
import { SqliteSubscription } from './sqlite-subscription.js';
import type { Statements } from './statements.js';
import { invalidateTypeSets, typeSet } from './type-set.js';
import { WriteQueue } from './write-queue.js';
import { groupSurface, instanceBehind } from '../../log/surface.js';

/**
 * The SQLite log behind a log `sqliteLog` returned: its connection and write queue, for the
 * package's white-box tests. Not exported by `herald/sqlite` (nor by any other subpath).
 *
 * @example
 * ```ts
 * const { db } = sqliteInternals(await sqliteLog({ path }));
 * db.pragma('synchronous', { simple: true }); // 2: FULL
 * ```
 */
export function sqliteInternals(log: EventLog): SqliteLog {
  const inner = instanceBehind(log);
  if (!(inner instanceof SqliteLog))
    throw new TypeError('sqliteInternals: not a log that sqliteLog() opened');
  return inner;
}

/** The EventLog over one SQLite file. Internal: see `sqliteLog`. */
export class SqliteLog implements EventLog, LogContext {
  readonly capabilities: LogCapabilities;
  readonly db: Database.Database;
  readonly sql: Statements;
  readonly queue: WriteQueue;
  readonly appended = new Notifier();
  readonly options: ResolvedSqliteOptions;
  readonly readPage: (plan: ReadPlan, limit: number) => string[];
  readonly #knownTypes = new Set<string>();
  readonly #groups = new Map<string, SqliteGroup>();
  readonly #subscriptions = new Set<SqliteSubscription>();
  readonly #scheduling: Scheduling;
  #closing: Promise<void> | undefined;

  constructor(db: Database.Database, sql: Statements, options: ResolvedSqliteOptions) {
    this.db = db;
    this.sql = sql;
    this.options = options;
    // A file in WAL mode: a commit is written to it before an append resolves (fsynced too with
    // `durability: 'fsync'`), so it survives the process; `:memory:` is SQLite's in-memory store.
    const onDisk = options.path !== ':memory:';
    this.capabilities = Object.freeze({
      name: 'sqlite',
      survivesReopen: onDisk,
      survivesServerRestart: onDisk,
      fsync: onDisk && options.durability === 'fsync',
      consumerGroups: true,
      multiProcess: onDisk,
    });
    const retention =
      options.maxEvents === undefined && options.maxAgeMs === undefined
        ? undefined
        : { maxEvents: options.maxEvents, maxAgeMs: options.maxAgeMs };
    this.queue = new WriteQueue({
      maxQueued: options.maxQueuedEvents,
      maxBatch: options.maxBatchEvents,
      windowMs: options.batchWindowMs,
      busyTimeoutMs: options.busyTimeoutMs,
      commit: roundCommitter(db, sql, retention),
      wake: () => this.appended.notify(),
      rolledBack: invalidateTypeSets,
    });
    this.readPage = db.transaction((plan: ReadPlan, limit: number) => readPage(sql, plan, limit));
    // Last: it checks its options (nothing above needs undoing) and starts the mover.
    this.#scheduling = new Scheduling(
      sqliteScheduleStore(this),
      // Not `append`: the mover finishes a move while close waits for it (the log already closed).
      (events, o) => this.#append(events, o, true),
      { ...options.scheduler },
    );
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  assertOpen(): void {
    if (this.#closing !== undefined) throw new HeraldError('LOG_CLOSED', 'the sqlite log is closed');
  }

  async append(inputs: readonly AppendInput[], options?: AppendOptions): Promise<Appended[]> {
    this.assertOpen();
    return this.#append(inputs, options, false);
  }

  /**
   * `append` without the open check. `unschedule`: the mover's append, which also deletes the
   * events' scheduled rows in its transaction, so an event leaves the schedule as it enters the log.
   */
  async #append(
    inputs: readonly AppendInput[],
    options: AppendOptions | undefined,
    unschedule: boolean,
  ): Promise<Appended[]> {
    const prepared = prepareAppend(inputs, options);
    if (prepared.events.length === 0) return [];
    const op = appendOp(this.sql, this.#knownTypes, prepared);
    const { appended, newTypes } = await this.queue.submit(
      unschedule
        ? { weight: op.weight, run: (round) => this.#unschedule(op.run(round), prepared.events) }
        : op,
    );
    for (const type of newTypes) this.#knownTypes.add(type);
    return checkDuplicates(prepared.events, appended, (id) => this.#get(id));
  }

  read(options?: ReadOptions): AsyncIterable<StoredEvent> {
    this.assertOpen();
    const filter = readFilter(options);
    typeSet(filter.types); // checks the patterns now rather than at the first step
    return { [Symbol.asyncIterator]: () => new EventReader(this, filter) };
  }

  get(id: string): Promise<StoredEvent | undefined> {
    return settle(() => {
      this.assertOpen();
      return this.#get(id);
    });
  }

  /** After the mover's append (in its transaction): its events are no longer scheduled. */
  #unschedule<T>(result: T, events: readonly { id: string }[]): T {
    for (const event of events) this.sql['delete-scheduled'].run(event.id);
    return result;
  }

  #get(id: string): StoredEvent | undefined {
    const json = this.sql['select-event-by-id'].get(id) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as StoredEvent);
  }

  subscribe(options: LogSubscribeOptions = {}): LogSubscription {
    this.assertOpen();
    const from = checkLogPosition('from', options.from ?? 'end');
    const batchSize = checkInteger('batchSize', options.batchSize ?? 256, 1);
    const types = typeSet(options.types);
    const last = lastPosition(this.sql);
    let cursor = from === 'start' ? 0 : from === 'end' ? last : Math.max(0, Number(from) - 1);
    let minRecorded = Number.NEGATIVE_INFINITY;
    if (from instanceof Date) {
      minRecorded = from.getTime();
      cursor = (firstRecordedAtOrAfter(this.sql, minRecorded) ?? last + 1) - 1;
    }
    const plan: ReadPlan = {
      forward: true,
      stream: undefined,
      correlation: undefined,
      types,
      lo: 1,
      hi: MAX_POSITION,
      cursor,
    };
    const onClose = (s: SqliteSubscription): void => void this.#subscriptions.delete(s);
    const subscription = new SqliteSubscription(this, plan, { batchSize, minRecorded, onClose });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async group(name: string, options: GroupOptions = {}): Promise<ConsumerGroup> {
    this.assertOpen();
    checkName('group', name);
    resolveGroupOptions(options); // refuses bad options before anything is written
    const startAt = checkLogPosition('startAt', options.startAt ?? 'end');
    const { startAt: _, ...rest } = options;
    const row = await this.queue.submit(openGroupOp(this.sql, name, rest, startAt));
    let group = this.#groups.get(name);
    if (group === undefined) this.#groups.set(name, (group = new SqliteGroup(this, row)));
    else group.refresh(row);
    return groupSurface(group);
  }

  groups(): Promise<string[]> {
    return settle(() => {
      this.assertOpen();
      return (this.sql['select-group-names'].all() as { name: string }[]).map((row) => row.name);
    });
  }

  streamVersion(stream: string): Promise<number> {
    return settle(() => {
      this.assertOpen();
      return (this.sql['select-stream-version'].get(checkName('stream', stream)) as { version: number })
        .version;
    });
  }

  async truncateStream(stream: string, beforeVersion: number): Promise<number> {
    this.assertOpen();
    checkName('stream', stream);
    checkInteger('beforeVersion', beforeVersion, 0);
    return this.#deleteEvents(() => this.sql['truncate-stream'].run(stream, beforeVersion).changes);
  }

  async deleteStream(stream: string): Promise<number> {
    this.assertOpen();
    checkName('stream', stream);
    return this.#deleteEvents(() => this.sql['delete-stream'].run(stream).changes);
  }

  async applyRetention(): Promise<number> {
    this.assertOpen();
    const { maxEvents, maxAgeMs } = this.options;
    if (maxEvents === undefined && maxAgeMs === undefined) return 0;
    let total = 0;
    for (;;) {
      const deleted = await this.queue.submit({
        weight: 1,
        run: (round) => applyRetentionChunk(this.sql, { maxEvents, maxAgeMs }, round),
      });
      if (deleted === 0) return total;
      total += deleted;
    }
  }

  bounds(): Promise<{ first: number; last: number }> {
    return settle(() => {
      this.assertOpen();
      return this.sql['select-bounds'].get() as { first: number; last: number };
    });
  }

  schedule(events: readonly AppendInput[], options: ScheduleOptions): Promise<Scheduled[]> {
    return settle(() => this.assertOpen()).then(() => this.#scheduling.schedule(events, options));
  }

  cancelScheduled(id: string): Promise<boolean> {
    return settle(() => this.assertOpen()).then(() => this.#scheduling.cancelScheduled(id));
  }

  scheduled(options?: ScheduledPageOptions): Promise<ScheduledEvent[]> {
    return settle(() => this.assertOpen()).then(() => this.#scheduling.scheduled(options));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // First: a move in progress finishes (its append and delete go through the queue, still open).
    await this.#scheduling.close();
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    this.appended.notify(); // waiting pulls see the log closed and return []
    await this.queue.close();
    this.db.close();
  }

  /** Runs a delete in a write round and keeps the stored-event count. */
  #deleteEvents(remove: () => number): Promise<number> {
    return this.queue.submit({
      weight: 1,
      run: (round) => {
        const deleted = remove();
        round.eventDelta -= deleted;
        return deleted;
      },
    });
  }
}
