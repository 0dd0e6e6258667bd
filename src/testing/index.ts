/**
 * `herald/testing`: helpers for tests of code that uses Herald, and the EventLog conformance
 * suite every backend runs (it registers vitest tests, so it needs vitest where it is used).
 */
export { waitFor, deferred, type WaitForOptions } from './wait-for.js';
export {
  describeEventLogConformance,
  type ConformanceContext,
  type EventLogConformanceOptions,
} from './conformance/index.js';
export { seededRandom } from './seeded-random.js';
