/**
 * `herald/testing`: helpers for tests of code that uses Herald, and the EventLog conformance
 * suite every backend runs (it registers vitest tests, so it needs vitest where it is used: an
 * optional peer dependency, and a missing vitest fails here with what to install).
 */
import { importNeeding } from '../log/optional-package.js';
import type { describeEventLogConformance as Describe } from './conformance/index.js';

export { waitFor, deferred, type WaitForOptions } from './wait-for.js';
export type { ConformanceContext, CutReplyOptions, EventLogConformanceOptions } from './conformance/index.js';
export { seededRandom } from './seeded-random.js';

const conformance = await importNeeding(
  'herald/testing',
  ['vitest'],
  () => import('./conformance/index.js'),
  {
    installFlags: '--save-dev',
  },
);

/** Registers the EventLog conformance suite (vitest `describe`/`it` blocks) for one backend. */
export const describeEventLogConformance: typeof Describe = conformance.describeEventLogConformance;
