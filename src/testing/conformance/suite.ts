import { it } from 'vitest';
import { HeraldError } from '../../errors/index.js';
import type { MoverOptions } from '../../log/kit/schedule.js';
import type { EventLog, LogCapabilities, RetentionOptions } from '../../log/types.js';

/** What `createLog` and `restart` get: the case's unique prefix and, for retention cases, limits. */
export interface ConformanceContext {
  /** Letters and digits only, unique per case: a valid subject token and a safe key part. */
  readonly prefix: string;
  /**
   * Set only by the retention cases: the log must apply these limits. They are log-wide, so a
   * backend on a shared server should give such a log a namespace of its own.
   */
  readonly retention?: RetentionOptions;
  /**
   * Set only by some scheduling cases: the log's mover options (the backend's `scheduler`
   * option), e.g. `{ move: false }` for a log that only schedules, or a short `leaseMs`.
   */
  readonly scheduler?: MoverOptions;
}

/**
 * A log whose connection can lose the reply of a write: the server does the write, the reply never
 * reaches the log, the connection is cut. Enables the `cut reply` cases (the log's own retry of a
 * write that was already done must not be reported as a duplicate).
 *
 * @example
 * ```ts
 * // A proxy in front of Redis: after the next script call went through, it drops the reply and
 * // cuts both sockets (see Herald's test/fixtures/cutting-proxy.ts for one).
 * const cutReply: CutReplyOptions = {
 *   createLog: ({ prefix }) => redisLog({ url: `redis://${proxy.host}:${proxy.port}`, prefix, retryTimeoutMs: 3_000 }),
 *   arm: () => proxy.arm(/EVALSHA/),
 *   fired: () => proxy.fired,
 * };
 * ```
 */
export interface CutReplyOptions {
  /**
   * A log for one case whose connections go through the cutting connection; the suite closes it.
   * Give it a short retry budget (`retryTimeoutMs` or the like) so a failing case fails fast.
   */
  createLog: (ctx: ConformanceContext) => EventLog | Promise<EventLog>;
  /**
   * Arms one cut: the next write that makes an append durable (a script call, a `COMMIT`, a
   * JetStream publish) reaches the server and runs, then its reply is dropped and its connection
   * cut. `ctx` is the case's, for a cut that matches only that log's traffic.
   */
  arm: (ctx: ConformanceContext) => void;
  /** True once the armed cut happened: a case whose cut did not happen fails. */
  fired: () => boolean;
}

/** Options of `describeEventLogConformance`. */
export interface EventLogConformanceOptions {
  /** Names the suite in the test report. */
  name: string;
  /** A log for one case; the suite closes it when the case ends. */
  createLog: (ctx: ConformanceContext) => EventLog | Promise<EventLog>;
  /**
   * Closes `log` and opens it again on the same storage (the log object, not its server);
   * enables the restart cases, run when the log declares `survivesReopen`.
   */
  restart?: (log: EventLog, ctx: ConformanceContext) => Promise<EventLog>;
  /**
   * Restarts the server the log talks to (the server's process, not the log object: the case
   * keeps using the same log, which must reconnect on its own) and resolves once the server
   * accepts connections again. Kill it (SIGKILL, PostgreSQL's immediate shutdown) rather than
   * stop it cleanly: that is what `survivesServerRestart` claims to survive. Enables the `server
   * restart` cases, run when the log declares `survivesServerRestart`; without it they are
   * skipped as `[needs restartServer]`. A server private to the test (it is killed under every
   * other user), with the persistence the log is to be checked with.
   */
  restartServer?: (ctx: ConformanceContext) => Promise<void>;
  /**
   * A log whose connection can lose the reply of a write (see {@link CutReplyOptions}); enables
   * the `cut reply` cases. Without it (a log with no connection: memory, SQLite) they are skipped
   * as `[needs cutReply]`.
   */
  cutReply?: CutReplyOptions;
  /**
   * Opens another log object on the same storage as the case's log, as another process would
   * (same server and namespace, same file); the suite closes it. Enables the `second` cases:
   * several movers of scheduled events, one process scheduling and another moving. Without it
   * (the memory log) they are skipped as `[needs second]`.
   */
  openSecond?: (ctx: ConformanceContext) => EventLog | Promise<EventLog>;
  /**
   * Registers only these behaviours (their titles in the report, e.g. `['server restart']`): for a
   * file that runs some cases against a server of its own, beside the file that runs them all.
   */
  only?: readonly string[];
  /** Overrides the log's own declared capabilities (which are read from one log at collection). */
  capabilities?: Partial<LogCapabilities>;
}

/**
 * What a case needs: a capability the log declares (`survivesReopen`, `survivesServerRestart`,
 * `consumerGroups`), or an option that was given (`restart`, `restartServer`, `cutReply`, `second`
 * for `openSecond`; a `cutReply` case's log comes from `cutReply.createLog`).
 */
export type Need =
  | 'survivesReopen'
  | 'survivesServerRestart'
  | 'consumerGroups'
  | 'restart'
  | 'restartServer'
  | 'cutReply'
  | 'second';

/** What a case body works with. */
export interface CaseContext {
  /** The case's log (the reopened one after `restart()`). */
  readonly log: EventLog;
  readonly prefix: string;
  readonly capabilities: LogCapabilities;
  /** `<prefix>.<name>`: an event type no other case uses. */
  type(name: string): string;
  /** `<prefix>x.<name>`: a type of this case that `<prefix>.>` does not match. */
  otherType(name: string): string;
  /** `<prefix>-<name>`: a stream (or group) name no other case uses. */
  name(name: string): string;
  /** Restarts the log through the `restart` option and returns the new one. */
  restart(): Promise<EventLog>;
  /** Restarts the log's server through the `restartServer` option; the log stays the same object. */
  restartServer(): Promise<void>;
  /** Arms the `cutReply` option's cut for this case's log (cases that need `cutReply`). */
  armCut(): void;
  /** Whether the armed cut happened. */
  cutFired(): boolean;
  /** Another log on the same storage through `openSecond` (with these mover options), closed when the case ends. */
  second(scheduler?: MoverOptions): Promise<EventLog>;
}

/** Registers cases, skipping (with the capability named) those the log cannot run. */
export interface Suite {
  readonly capabilities: LogCapabilities;
  test(
    title: string,
    needs: readonly Need[],
    body: (t: CaseContext) => void | Promise<void>,
    options?: { retention?: RetentionOptions; scheduler?: MoverOptions },
  ): void;
}

let counter = 0;

/** A fresh prefix: letters and digits, unique across processes sharing a server. */
export function freshPrefix(): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `c${Date.now().toString(36)}${(++counter).toString(36)}${random}`;
}

async function closeQuietly(log: EventLog): Promise<void> {
  try {
    await log.close();
  } catch (err) {
    // A case may have closed the log itself; a second close may say so.
    if (!(err instanceof HeraldError && err.code === 'LOG_CLOSED')) throw err;
  }
}

/**
 * The harness behind `describeEventLogConformance`: each case gets a fresh prefix and log,
 * closed when it ends, whatever happened.
 */
export function createSuite(options: EventLogConformanceOptions, capabilities: LogCapabilities): Suite {
  const given: Record<'restart' | 'restartServer' | 'cutReply' | 'second', boolean> = {
    restart: options.restart !== undefined,
    restartServer: options.restartServer !== undefined,
    cutReply: options.cutReply !== undefined,
    second: options.openSecond !== undefined,
  };
  const has = (need: Need): boolean =>
    need in given ? given[need as keyof typeof given] : capabilities[need as keyof LogCapabilities] === true;
  const cutReply = (): CutReplyOptions => {
    if (options.cutReply === undefined) throw new Error('no cutReply option was given');
    return options.cutReply;
  };
  return {
    capabilities,
    test(title, needs, body, caseOptions = {}) {
      const missing = needs.filter((need) => !has(need));
      if (missing.length > 0) {
        it.skip(`[needs ${missing.join(' + ')}] ${title}`, () => undefined);
        return;
      }
      it(title, async () => {
        const ctx: ConformanceContext = { prefix: freshPrefix(), ...caseOptions };
        const cutting = needs.includes('cutReply');
        let log = await (cutting ? cutReply().createLog(ctx) : options.createLog(ctx));
        const others: EventLog[] = [];
        const t: CaseContext = {
          get log() {
            return log;
          },
          prefix: ctx.prefix,
          capabilities,
          type: (name) => `${ctx.prefix}.${name}`,
          otherType: (name) => `${ctx.prefix}x.${name}`,
          name: (name) => `${ctx.prefix}-${name}`,
          restart: async () => {
            if (options.restart === undefined) throw new Error('no restart option was given');
            log = await options.restart(log, ctx);
            return log;
          },
          restartServer: async () => {
            if (options.restartServer === undefined) throw new Error('no restartServer option was given');
            await options.restartServer(ctx);
          },
          armCut: () => cutReply().arm(ctx),
          cutFired: () => cutReply().fired(),
          second: async (scheduler) => {
            if (options.openSecond === undefined) throw new Error('no openSecond option was given');
            const { scheduler: _first, ...shared } = ctx;
            const other = await options.openSecond(
              scheduler === undefined ? shared : { ...shared, scheduler },
            );
            others.push(other);
            return other;
          },
        };
        try {
          await body(t);
        } finally {
          for (const other of others) await closeQuietly(other);
          await closeQuietly(log);
        }
      });
    },
  };
}
