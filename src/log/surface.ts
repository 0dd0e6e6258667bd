import type { ConsumerGroup, EventLog } from './types.js';

/**
 * How each member of a contract is handed out: `'method'` is bound to the instance once,
 * `'value'` is read from the instance at every access (so a value the instance replaces, such as
 * a group's `options` after a later `group()` call, is seen). Every key of the contract must be
 * named, so a member added to the interface cannot be forgotten here.
 */
export type SurfaceMembers<T> = { readonly [K in keyof T]-?: 'method' | 'value' };

const surfaces = new WeakMap<object, object>();
const instances = new WeakMap<object, object>();

/**
 * The object a user gets for a backend's internal instance: exactly the contract's members and
 * nothing else (no database handle, pool, queue or ack helper of the class behind it), frozen.
 * Each member is an enumerable getter, so a `Proxy` over the result (as tests wrap a log to fake
 * an outage) may still return something else for it. One instance always gets the same surface,
 * so `await log.group('g')` twice returns the same object, as before.
 *
 * @example
 * ```ts
 * class MyLog implements EventLog {
 *   readonly db = openDb(); // internal: not on the surface
 *   // ...the EventLog members
 * }
 * export function myLog(): EventLog {
 *   return surface(new MyLog(), EVENT_LOG_MEMBERS);
 * }
 * ```
 */
export function surface<T extends object>(instance: T, members: SurfaceMembers<T>): T {
  const known = surfaces.get(instance);
  if (known !== undefined) return known as T;
  const view: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(members) as [keyof T & string, 'method' | 'value'][]) {
    if (kind === 'method') {
      const bound = (instance[name] as (...args: unknown[]) => unknown).bind(instance);
      Object.defineProperty(view, name, { get: () => bound, enumerable: true });
    } else Object.defineProperty(view, name, { get: () => instance[name], enumerable: true });
  }
  Object.freeze(view);
  surfaces.set(instance, view);
  instances.set(view, instance);
  return view as T;
}

/**
 * The internal instance behind a surface made by `surface` (undefined for anything else). For the
 * package's own white-box tests through a backend's internal accessor; never re-exported.
 *
 * @example
 * ```ts
 * const inner = instanceBehind(log);
 * if (inner instanceof SqliteLog) inner.db.pragma('synchronous', { simple: true });
 * ```
 */
export function instanceBehind(view: object): object | undefined {
  return instances.get(view);
}

/** The members of `EventLog`. */
export const EVENT_LOG_MEMBERS: SurfaceMembers<EventLog> = Object.freeze({
  capabilities: 'value',
  append: 'method',
  read: 'method',
  get: 'method',
  subscribe: 'method',
  group: 'method',
  groups: 'method',
  streamVersion: 'method',
  truncateStream: 'method',
  deleteStream: 'method',
  applyRetention: 'method',
  bounds: 'method',
  schedule: 'method',
  cancelScheduled: 'method',
  scheduled: 'method',
  close: 'method',
});

/** The members of `ConsumerGroup`. */
export const CONSUMER_GROUP_MEMBERS: SurfaceMembers<ConsumerGroup> = Object.freeze({
  name: 'value',
  options: 'value',
  pull: 'method',
  info: 'method',
  status: 'method',
  deadLetters: 'method',
  pending: 'method',
  redrive: 'method',
  purge: 'method',
});

/**
 * A backend's log as its users see it: only the `EventLog` members.
 *
 * @example
 * ```ts
 * return logSurface(new SqliteLog(db, statements, options));
 * ```
 */
export const logSurface = (log: EventLog): EventLog => surface(log, EVENT_LOG_MEMBERS);

/**
 * A backend's consumer group as its users see it: only the `ConsumerGroup` members.
 *
 * @example
 * ```ts
 * return groupSurface(this.#groups.get(name)!);
 * ```
 */
export const groupSurface = (group: ConsumerGroup): ConsumerGroup => surface(group, CONSUMER_GROUP_MEMBERS);
