import { expect } from 'vitest';
import { timestampMillis } from '../../event/timestamp.js';
import type { ConsumerGroup, EventLog, GroupDelivery, ReadOptions, StoredEvent } from '../../log/types.js';
import { waitFor } from '../wait-for.js';

// `expect.any` is typed `any`; typed `unknown` here so matchers can sit in typed literals.
export const ANY_NUMBER: unknown = expect.any(Number);
export const ANY_STRING: unknown = expect.any(String);

/** Every event a read yields. A `read` that throws at once is a rejection here too. */
export async function readAll(log: EventLog, options?: ReadOptions): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const event of log.read(options)) out.push(event);
  return out;
}

/** The error `fn` throws or rejects with; fails the case when it succeeds. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure, but the call succeeded');
}

/** Pulls (waiting up to 50 ms a time) until `done` holds for everything pulled so far. */
export async function pullUntil(
  group: ConsumerGroup,
  done: (all: readonly GroupDelivery[]) => boolean,
  options: { max?: number; timeoutMs?: number } = {},
): Promise<GroupDelivery[]> {
  const all: GroupDelivery[] = [];
  const timeoutMs = options.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  while (!done(all)) {
    if (Date.now() > deadline)
      throw new Error(`pullUntil: not done within ${timeoutMs} ms (${all.length} pulled)`);
    all.push(...(await group.pull({ max: options.max ?? 10, waitMs: 50 })));
  }
  return all;
}

/** The value of `promise`, failing the case if it does not settle within `timeoutMs` (default 5 s). */
export async function settled<T>(promise: Promise<T>, message: string, timeoutMs = 5_000): Promise<T> {
  let outcome: { value: T } | undefined;
  let failure: { error: unknown } | undefined;
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (failure = { error }),
  );
  await waitFor(() => outcome !== undefined || failure !== undefined, { timeoutMs, message });
  if (failure !== undefined) throw failure.error;
  return outcome!.value;
}

/** Consumes an async iterable into `into` in the background; resolves when it ends. */
export async function consume<T>(iterable: AsyncIterable<T>, into: T[]): Promise<void> {
  for await (const item of iterable) into.push(item);
}

/** Waits (on the clock, with a deadline) until `ms` milliseconds have passed since `since`. */
export async function elapsed(since: number, ms: number): Promise<void> {
  await waitFor(() => Date.now() >= since + ms, { timeoutMs: ms + 5_000 });
}

/** Expects strictly increasing numbers. */
export function expectIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]!);
}

/** The recorded time of a stored event in ms; fails on a malformed `recordedat`. */
export function recordedMs(event: StoredEvent): number {
  const ms = timestampMillis(event.recordedat);
  expect(ms, `recordedat ${event.recordedat} is RFC 3339`).not.toBeNaN();
  return ms;
}

/** `count` JSON events of one type, numbered from `from` in their data. */
export function numbered(type: string, count: number, from = 0): { type: string; data: { n: number } }[] {
  return Array.from({ length: count }, (_, i) => ({ type, data: { n: from + i } }));
}
