/**
 * Child processes for the hub benchmarks: the load generators and the live clients run in a
 * second Node process (TypeScript through tsx), so the hub under test has a core of its own.
 * A child gets its job as the first IPC message and answers with one message; `send` gives it
 * further messages (the SSE clients are told when to report).
 */
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A running child: its next messages, and a way to send it more. */
export interface BenchChild<T> {
  readonly process: ChildProcess;
  /** The next message the child sends (rejects when it exits first). */
  next(): Promise<T>;
  send(message: Serializable): void;
  /** Waits for the child to exit (killing it after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `bench/fixtures/<name>.ts` in a new Node process and sends it `job`. */
export function startChild<T>(name: string, job: Serializable): BenchChild<T> {
  const file = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  // execArgv is set explicitly: a parent run under --cpu-prof must not profile its children.
  const child = fork(file, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: T[] = [];
  const waiting: { resolve: (v: T) => void; reject: (e: Error) => void }[] = [];
  let exited: Error | undefined;
  child.on('message', (message) => {
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(message as T);
    else queue.push(message as T);
  });
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = new Error(`bench child ${name} exited (${signal ?? code}) before answering`);
      for (const waiter of waiting.splice(0)) waiter.reject(exited);
      resolve();
    }),
  );
  child.send(job);
  return {
    process: child,
    next: () => {
      const message = queue.shift();
      if (message !== undefined) return Promise.resolve(message);
      if (exited) return Promise.reject(exited);
      return new Promise<T>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    send: (message) => child.send(message),
    stop: async (graceMs = 5_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
    },
  };
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
