/**
 * The EventLog contract, the memory log, and the backend-agnostic pieces every backend reuses
 * (batch preparation, expected-version check, read filters, group options and status rules).
 */
export type {
  AppendInput,
  AppendOptions,
  Appended,
  ConsumerGroup,
  EventLog,
  EventStatus,
  ExpectedVersion,
  GroupDeadLetter,
  GroupDelivery,
  GroupInfo,
  GroupOptions,
  GroupPageOptions,
  GroupPending,
  LogCapabilities,
  LogPosition,
  LogSubscribeOptions,
  LogSubscription,
  ReadOptions,
  RetentionOptions,
  ScheduleOptions,
  Scheduled,
  ScheduledEvent,
  ScheduledPageOptions,
  StoredEvent,
} from './types.js';
export { memoryLog, type MemoryLogOptions } from '../backends/memory/index.js';
export { prepareAppend, type PreparedAppend } from './prepare-append.js';
export {
  checkExpectedVersion,
  checkExpectedVersionOption,
  satisfiesExpectedVersion,
} from './expected-version.js';
export {
  readFilter,
  matchesReadFilter,
  checkLogPosition,
  timeOption,
  type ReadFilter,
} from './read-filter.js';
export { typeMatcher } from './type-matcher.js';
export { PagedTail } from './paged-tail.js';
export {
  resolveGroupOptions,
  nackDelay,
  GROUP_DEFAULTS,
  type ResolvedGroupOptions,
} from './group-options.js';
export { pendingPage, deadLetterPage, PENDING_PAGE, type GroupPage } from './group-page.js';
export { eventStatus, type EventStatusFacts } from './event-status.js';
export { invalidOption, checkInteger, checkMillis, checkName } from './invalid-option.js';
export { Notifier, waitForAny } from './notifier.js';
export { settle, asyncIterable } from './settle.js';
