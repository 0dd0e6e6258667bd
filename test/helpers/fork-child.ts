/**
 * Child processes for the heavier tests and benchmarks: a TypeScript file run by Node through tsx,
 * given its job as the first IPC message. It answers with messages; `request` sends one and
 * waits for the next answer, so a parent can ask a child for a report at any time.
 */
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A running child. */
export interface ForkedChild<T> {
  readonly process: ChildProcess;
  /** The next message the child sends (rejects when it exits first). */
  next(): Promise<T>;
  /** Sends a message and waits for the next answer. */
  request(message: Serializable): Promise<T>;
  send(message: Serializable): void;
  /** Disconnects and waits for the child to exit, killing it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `file` (a `.ts` file URL) in a new Node process with tsx, and sends it `job`.
 *
 * @example
 * ```ts
 * const child = forkChild<Report>(new URL('../fixtures/scale-out-sse-clients.ts', import.meta.url), job);
 * const report = await child.request({ type: 'report' });
 * await child.stop();
 * ```
 */
export function forkChild<T>(file: URL, job: Serializable): ForkedChild<T> {
  // execArgv is set explicitly: a parent run under a test runner or --cpu-prof passes nothing on.
  const child = fork(fileURLToPath(file), [], {
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
      exited = new Error(`child ${file.pathname} exited (${signal ?? code}) before answering`);
      for (const waiter of waiting.splice(0)) waiter.reject(exited);
      resolve();
    }),
  );
  child.send(job);
  const next = (): Promise<T> => {
    const message = queue.shift();
    if (message !== undefined) return Promise.resolve(message);
    if (exited) return Promise.reject(exited);
    return new Promise<T>((resolve, reject) => waiting.push({ resolve, reject }));
  };
  return {
    process: child,
    next,
    request: (message) => {
      child.send(message);
      return next();
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

/**
 * In a child: calls `handle` with the job, then with every further message; each call's result
 * (when not undefined) is sent back. The child exits when the parent disconnects.
 *
 * @example
 * ```ts
 * serveParent(async (job: Job) => { ... }, (message: Message) => report());
 * ```
 */
export function serveParent(
  // `never`: each child states the types of its job and messages in its own handlers.
  start: (job: never) => Promise<Serializable | undefined> | Serializable | undefined,
  handle: (message: never) => Promise<Serializable | undefined> | Serializable | undefined,
): void {
  let started: Promise<unknown> | undefined;
  process.on('message', (message) => {
    if (started === undefined) {
      started = Promise.resolve(start(message as never)).then(answer);
      return;
    }
    void started.then(() => Promise.resolve(handle(message as never)).then(answer));
  });
  process.on('disconnect', () => process.exit(0));
}

function answer(message: Serializable | undefined): Promise<void> | void {
  if (message === undefined) return;
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, undefined, (error: Error | null) =>
      error ? reject(error) : resolve(),
    ),
  );
}
