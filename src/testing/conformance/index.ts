import { describe } from 'vitest';
import type { LogCapabilities } from '../../log/types.js';
import { appendReadCases } from './append-read.js';
import { atomicBatchCases } from './atomic-batch.js';
import { catchUpLiveCases } from './catch-up-live.js';
import { concurrentAppendsCases } from './concurrent-appends.js';
import { cutReplyCases } from './cut-reply.js';
import { expectedVersionCases } from './expected-version.js';
import { groupAckCases } from './group-ack.js';
import { groupDeadLettersCases } from './group-dead-letters.js';
import { groupLagCases } from './group-lag.js';
import { groupMembersCases } from './group-members.js';
import { groupNackDelayCases } from './group-nack-delay.js';
import { groupPendingCases } from './group-pending.js';
import { groupRedeliveryCases } from './group-redelivery.js';
import { groupRestartCases } from './group-restart.js';
import { groupStatusCases } from './group-status.js';
import { groupTypeChangeCases } from './group-type-change.js';
import { idempotentAppendCases } from './idempotent-append.js';
import { parallelStressCases } from './parallel-stress.js';
import { readFiltersCases } from './read-filters.js';
import { retentionCases } from './retention.js';
import { scheduledDeliveryCases } from './scheduled-delivery.js';
import { serverRestartCases } from './server-restart.js';
import { createSuite, freshPrefix, type EventLogConformanceOptions, type Suite } from './suite.js';

export type { ConformanceContext, CutReplyOptions, EventLogConformanceOptions } from './suite.js';

const BEHAVIOURS: readonly [string, (suite: Suite) => void][] = [
  ['append and read', appendReadCases],
  ['atomic batches', atomicBatchCases],
  ['expected version', expectedVersionCases],
  ['idempotent append', idempotentAppendCases],
  ['cut reply', cutReplyCases],
  ['concurrent appends', concurrentAppendsCases],
  ['read filters', readFiltersCases],
  ['catch-up to live', catchUpLiveCases],
  ['group ack', groupAckCases],
  ['group nack with delay', groupNackDelayCases],
  ['group redelivery', groupRedeliveryCases],
  ['group dead letters', groupDeadLettersCases],
  ['group pending', groupPendingCases],
  ['group members', groupMembersCases],
  ['group restart', groupRestartCases],
  ['server restart', serverRestartCases],
  ['group lag', groupLagCases],
  ['group status', groupStatusCases],
  ['group type change', groupTypeChangeCases],
  ['retention', retentionCases],
  ['scheduled delivery', scheduledDeliveryCases],
  ['parallel stress', parallelStressCases],
];

// The capabilities that decide skips; when the options set all of them no log is opened to ask.
const DECIDING = ['survivesReopen', 'survivesServerRestart', 'consumerGroups'] as const;

async function resolveCapabilities(options: EventLogConformanceOptions): Promise<LogCapabilities> {
  const given = options.capabilities ?? {};
  if (DECIDING.every((key) => typeof given[key] === 'boolean')) {
    return { name: options.name, ...given } as LogCapabilities;
  }
  const probe = await options.createLog({ prefix: freshPrefix() });
  try {
    return { ...probe.capabilities, ...given };
  } finally {
    await probe.close();
  }
}

/**
 * Registers the EventLog conformance suite with vitest (`describe` / `it`; vitest is needed where
 * it runs, so this lives in `herald/testing`, not the core). Every case is always registered: one
 * that needs a capability the log lacks is an `it.skip` whose title names it, e.g.
 * `[needs survivesReopen + restart] ...`. Capabilities are the log's own (read from one log opened at
 * collection, unless `capabilities` sets all that decide skips), overridden by `capabilities`.
 *
 * Each case gets a fresh prefix (letters and digits) and a log from `createLog({ prefix })`,
 * closed after the case; it names its types `<prefix>.…`, streams and groups `<prefix>-…`, so
 * cases can share one server. Retention cases pass `retention` limits in the context, which the
 * log must apply (log-wide: isolate such a log on a shared server). The restart cases run only
 * with `restart` and a log that declares `survivesReopen`; the `server restart` cases only with
 * `restartServer` and `survivesServerRestart`; the `cut reply` cases only with `cutReply` (a log whose
 * connection can lose the reply of a write: see `CutReplyOptions`). No case sleeps: they wait on
 * conditions with deadlines.
 *
 * @example
 * ```ts
 * // sqlite-log.test.ts
 * import { describeEventLogConformance } from 'herald/testing';
 * describeEventLogConformance({
 *   name: 'sqlite',
 *   createLog: ({ retention }) => sqliteLog({ path: ':memory:', retention }),
 *   restart: async (log) => { await log.close(); return sqliteLog({ path: file }); },
 * });
 * ```
 */
export function describeEventLogConformance(options: EventLogConformanceOptions): void {
  describe(`EventLog conformance: ${options.name}`, async () => {
    const suite = createSuite(options, await resolveCapabilities(options));
    for (const [title, register] of BEHAVIOURS)
      if (options.only === undefined || options.only.includes(title)) describe(title, () => register(suite));
  });
}
