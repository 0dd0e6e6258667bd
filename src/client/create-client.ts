import type { EventMap } from '../broker/event-map.js';
import type { HeraldEvent } from '../event/types.js';
import { groupClient, type ClientGroup } from './group.js';
import { follow } from './follow.js';
import { followWs } from './follow-ws.js';
import { HeraldError } from '../errors/herald-error.js';
import { postJson, requestJson, type HttpContext } from './http.js';
import { eventsLive, subscribeLive, type Follower } from './live.js';
import type {
  ClientOptions,
  ClientPublishAttributes,
  ClientPublishInit,
  ClientDelayOptions,
  ClientPublishOptions,
  ClientScheduledEvent,
  ClientStorageOptions,
  EventForAny,
  EventStream,
  EventsOptions,
  Published,
  ScheduledPublish,
  SubscribeOptions,
  Subscription,
} from './types.js';

/** A typed client of a Herald hub, for browsers and Node (see `createClient`). */
export interface HeraldClient<E extends EventMap = EventMap> {
  /**
   * Publishes `data` as an event of `type` for delivery later (`delayMs`) or at a time
   * (`deliverAt`); resolves once the hub has durably scheduled it.
   *
   * @example
   * ```ts
   * const s = await hub.publish('invoice.reminder', { id: 'i-1' }, { delayMs: 86_400_000 });
   * await hub.cancelScheduled(s.id); // needs an admin token
   * ```
   */
  publish<K extends keyof E & string>(
    type: K,
    data: E[K],
    options: Omit<ClientPublishOptions, 'expectedVersion'> & ClientDelayOptions,
  ): Promise<ScheduledPublish>;
  /** Publishes `data` as an event of `type` (`POST /v1/events`); resolves with where it was stored. */
  publish<K extends keyof E & string>(
    type: K,
    data: E[K],
    options?: ClientPublishOptions,
  ): Promise<Published>;
  /** Publishes several events atomically (all stored, or none). */
  publishBatch(events: readonly ClientPublishInit<E>[], options?: ClientStorageOptions): Promise<Published[]>;
  /** Calls `handler` for each event of `patterns`, live and resuming; see `SubscribeOptions`. */
  subscribe<P extends string>(
    patterns: P | readonly P[],
    handler: (event: EventForAny<E, P>) => unknown,
    options?: SubscribeOptions,
  ): Subscription;
  /** The events of `patterns` as an async iterator, live and resuming; see `EventsOptions`. */
  events<P extends string>(
    patterns: P | readonly P[],
    options?: EventsOptions,
  ): EventStream<EventForAny<E, P>>;
  /** A member of the consumer group `name`. */
  group(name: string): ClientGroup<E>;
  /**
   * The events waiting for their time that this client may read, in due order
   * (`GET /v1/scheduled`); pass the previous page's `next` as `after`.
   */
  scheduled(options?: {
    limit?: number;
    after?: string;
    signal?: AbortSignal;
  }): Promise<{ scheduled: ClientScheduledEvent[]; next: string | null }>;
  /** Cancels a scheduled event (`DELETE /v1/scheduled/{id}`, admin): true, or false when nothing with that id is pending. */
  cancelScheduled(id: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Ends every subscription, iterator and request of this client. */
  close(): void;
}

const STORAGE_KEYS = new Set(['stream', 'expectedVersion', 'signal', 'ttlMs', 'delayMs', 'deliverAt']);

/** The hub's header for a delayed publish, or none. */
function delayHeaders(options: { delayMs?: number; deliverAt?: Date | string }): Record<string, string> {
  if (options.delayMs !== undefined)
    return { 'herald-delay-ms': String(Math.max(0, Math.ceil(options.delayMs))) };
  if (options.deliverAt !== undefined) {
    const at = options.deliverAt instanceof Date ? options.deliverAt.toISOString() : options.deliverAt;
    return { 'herald-deliver-at': at };
  }
  return {};
}

/**
 * A client of the hub at `url`, typed by the same event map as `createBroker`. Browser-safe (no
 * Node built-ins): it needs `fetch` with streaming bodies, `TextDecoder` and `AbortController`.
 * Live streams run over `GET /v1/sse` read with `fetch` (so the token goes in a header), resume
 * with `Last-Event-ID` after drops and hub restarts with no gap and no duplicate, and reconnect with
 * exponential backoff and jitter from the hub's `retry:`. Errors are `HubError`s (a `HeraldError`)
 * with the hub's codes.
 *
 * @example
 * ```ts
 * type Shop = { 'order.created': { id: string; total: number }; 'order.paid': { id: string } };
 * const hub = createClient<Shop>({ url: 'http://127.0.0.1:4021', token: 'k-shop' });
 * await hub.publish('order.created', { id: 'o-1', total: 42 });
 * const sub = hub.subscribe('order.*', (e) => console.log(e.type, e.data.id), { from: 'end' });
 * for await (const e of hub.events('order.>', { from: 0 })) console.log(e.position);
 * ```
 */
export function createClient<E extends EventMap = EventMap>(options: ClientOptions): HeraldClient<E> {
  const url = options.url.replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(url)) throw new TypeError(`url must be an http:// or https:// URL, got "${url}"`);
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const ctx: HttpContext = { url, token: options.token, fetch: fetchImpl };
  const lifetime = new AbortController();
  const follower = (transport: 'sse' | 'websocket' | undefined): Follower =>
    (transport ?? options.transport) === 'websocket'
      ? (request, state, deliver, signal) =>
          followWs(
            { url, token: options.token, WebSocket: options.WebSocket },
            request,
            state,
            deliver,
            signal,
          )
      : (request, state, deliver, signal) => follow(ctx, request, state, deliver, signal);
  const list = (patterns: string | readonly string[]): readonly string[] =>
    typeof patterns === 'string' ? [patterns] : patterns;

  const publishMany = async (
    events: readonly Record<string, unknown>[],
    storage: ClientStorageOptions,
  ): Promise<Published[]> => {
    const { stream, expectedVersion, signal } = storage;
    const body =
      stream === undefined && expectedVersion === undefined
        ? events
        : {
            ...(stream !== undefined && { stream }),
            ...(expectedVersion !== undefined && { expectedVersion }),
            events,
          };
    const reply = await postJson<{ events: Published[] }>(ctx, '/v1/events', body, signal ?? lifetime.signal);
    return reply.events;
  };

  // One implementation serves both overloads of `publish` (checked where callers use them).
  const publish = async (
    type: string,
    data: unknown,
    publishOptions: ClientPublishOptions & { delayMs?: number; deliverAt?: Date | string } = {},
  ): Promise<Published | ScheduledPublish> => {
    const attributes: ClientPublishAttributes = {};
    for (const [key, value] of Object.entries(publishOptions)) {
      if (!STORAGE_KEYS.has(key) && value !== undefined) attributes[key] = value;
    }
    if (publishOptions.ttlMs !== undefined) {
      attributes.expiresat = new Date(Date.now() + publishOptions.ttlMs).toISOString();
    }
    const event = { ...attributes, type, ...(data !== undefined && { data }) };
    const delay = delayHeaders(publishOptions);
    if (Object.keys(delay).length > 0) {
      const { stream, signal } = publishOptions;
      const body = stream === undefined ? [event] : { stream, events: [event] };
      const reply = await postJson<{ scheduled: ScheduledPublish[] }>(
        ctx,
        '/v1/events',
        body,
        signal ?? lifetime.signal,
        delay,
      );
      return reply.scheduled[0]!;
    }
    const [published] = await publishMany([event], publishOptions);
    return published!;
  };

  return {
    publish: publish as HeraldClient<E>['publish'],
    scheduled: async (listOptions = {}) => {
      const query = new URLSearchParams();
      if (listOptions.limit !== undefined) query.set('limit', String(listOptions.limit));
      if (listOptions.after !== undefined) query.set('after', listOptions.after);
      const path = `/v1/scheduled${query.size > 0 ? `?${query.toString()}` : ''}`;
      return requestJson(ctx, 'GET', path, undefined, listOptions.signal ?? lifetime.signal);
    },
    cancelScheduled: async (id, cancelOptions = {}) => {
      try {
        await requestJson(
          ctx,
          'DELETE',
          `/v1/scheduled/${encodeURIComponent(id)}`,
          undefined,
          cancelOptions.signal ?? lifetime.signal,
        );
        return true;
      } catch (error) {
        if (error instanceof HeraldError && error.code === 'NOT_FOUND') return false;
        throw error;
      }
    },
    publishBatch: (events, storage = {}) => publishMany(events, storage),
    subscribe: (patterns, handler, subscribeOptions = {}) =>
      subscribeLive(
        follower(subscribeOptions.transport),
        list(patterns),
        handler as (event: HeraldEvent) => unknown,
        subscribeOptions,
        lifetime.signal,
        options.retry,
      ),
    events: <P extends string>(patterns: P | readonly P[], eventsOptions: EventsOptions = {}) =>
      eventsLive(
        follower(eventsOptions.transport),
        list(patterns),
        eventsOptions,
        lifetime.signal,
        options.retry,
      ) as unknown as EventStream<EventForAny<E, P>>,
    group: (name) => groupClient<E>(ctx, name, lifetime.signal, options.retry),
    close: () => lifetime.abort(),
  };
}
