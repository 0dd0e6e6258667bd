import type { Redis } from 'ioredis';
import type { Wakeup } from '../../log/kit/wakeup.js';
import type { LogKeys } from './keys.js';
import type { ResolvedRedisOptions } from './options.js';
import type { ScriptName } from './scripts.js';

/** How long `RedisContext.call` keeps trying. */
export interface CallRetry {
  readonly timeoutMs?: number;
  readonly stopped?: () => boolean;
  readonly signal?: AbortSignal;
}

/** What the parts of the Redis log (reads, tails, groups) share. Internal. */
export interface RedisContext {
  readonly client: Redis;
  readonly keys: LogKeys;
  readonly options: ResolvedRedisOptions;
  /** Fired after this process appended, when the blocking reader saw others' appends, at close. */
  readonly appended: Wakeup;
  /** Aborted at close. */
  readonly stopped: AbortSignal;
  readonly closed: boolean;
  /** The highest position known to be assigned: what `subscribe({ from: 'end' })` starts after. */
  readonly knownLast: number;
  assertOpen(): void;
  noteLast(position: number): void;
  /** Runs `fn` again while the server is unreachable (for `retryTimeoutMs` unless `retry` says). */
  call<T>(fn: (client: Redis) => Promise<T>, retry?: CallRetry): Promise<T>;
  /** Runs a Lua script by hash, retried like `call`. */
  script(
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
    retry?: CallRetry,
  ): Promise<unknown>;
  /** Fired when a nack or redrive in this process made something of group `name` due. */
  groupWakeup(name: string): Wakeup;
}
