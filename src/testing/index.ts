/**
 * `herald/testing`: helpers for tests of code that uses Herald (and, later, the EventLog
 * conformance suite).
 */
export { waitFor, deferred, type WaitForOptions } from './wait-for.js';
