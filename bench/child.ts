/**
 * Child processes for the hub benchmarks: the load generators and the live clients run in a
 * second Node process (TypeScript through tsx), so the hub under test has a core of its own.
 * A child gets its job as the first IPC message and answers with one message; `send` gives it
 * further messages (the SSE clients are told when to report).
 */
import type { Serializable } from 'node:child_process';
import { forkChild, type ForkedChild } from '../test/helpers/fork-child.js';

/** A running child: its next messages, and a way to send it more. */
export type BenchChild<T> = ForkedChild<T>;

/**
 * Starts `bench/fixtures/<name>.ts` in a new Node process and sends it `job` (the same launcher
 * as the tests' child processes).
 *
 * @example
 * ```ts
 * const child = startChild<LoadResult>('http-load', job);
 * const result = await child.next();
 * ```
 */
export function startChild<T>(name: string, job: Serializable): BenchChild<T> {
  return forkChild<T>(new URL(`./fixtures/${name}.ts`, import.meta.url), job);
}

/** In a child: the job sent by the parent. */
export function receiveJob<T>(): Promise<T> {
  return new Promise((resolve) => process.once('message', (job) => resolve(job as T)));
}

/** In a child: sends one message to the parent and waits until it is written. */
export function reply(message: Serializable): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, undefined, (error: Error | null) =>
      error ? reject(error) : resolve(),
    ),
  );
}
