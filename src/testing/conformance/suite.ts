import { it } from 'vitest';
import { HeraldError } from '../../errors/index.js';
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
}

/** Options of `describeEventLogConformance`. */
export interface EventLogConformanceOptions {
  /** Names the suite in the test report. */
  name: string;
  /** A log for one case; the suite closes it when the case ends. */
  createLog: (ctx: ConformanceContext) => EventLog | Promise<EventLog>;
  /** Closes `log` and opens it again on the same storage; enables the restart cases. */
  restart?: (log: EventLog, ctx: ConformanceContext) => Promise<EventLog>;
  /** Overrides the log's own declared capabilities (which are read from one log at collection). */
  capabilities?: Partial<LogCapabilities>;
}

/** A capability a case needs; `restart` means the `restart` option was given. */
export type Need =
  'durable' | 'consumerGroups' | 'expectedVersion' | 'idempotentAppend' | 'retention' | 'restart';

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
}

/** Registers cases, skipping (with the capability named) those the log cannot run. */
export interface Suite {
  readonly capabilities: LogCapabilities;
  test(
    title: string,
    needs: readonly Need[],
    body: (t: CaseContext) => void | Promise<void>,
    options?: { retention?: RetentionOptions },
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
  const has = (need: Need): boolean =>
    need === 'restart' ? options.restart !== undefined : capabilities[need];
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
        let log = await options.createLog(ctx);
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
        };
        try {
          await body(t);
        } finally {
          await closeQuietly(log);
        }
      });
    },
  };
}
