import type { EventFor, EventMap } from '../broker/event-map.js';
import type { HeraldEvent, HeraldExtensions } from '../event/types.js';
import type { From, StreamCallbacks } from './follow.js';
import type { WebSocketConstructor } from './follow-ws.js';
import type { TokenSource } from './http.js';
import type { RetryOptions } from './timing.js';

/** The events one of several patterns receives: the union over the patterns. */
export type EventForAny<E extends EventMap, P extends string> = P extends string ? EventFor<E, P> : never;

/** Options of `createClient`. */
export interface ClientOptions {
  /** The hub's base URL (`https://hub.example`, `http://127.0.0.1:4021`). */
  url: string;
  /** An API key or JWT, sent as `Authorization: Bearer` (never in a URL); a function is asked per request. */
  token?: TokenSource;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /** How streams and consumers retry (default: 1 s doubling to 30 s, with jitter, forever). */
  retry?: RetryOptions;
  /**
   * How `subscribe` and `events` receive (default `'sse'`: `GET /v1/sse` read with `fetch`, the
   * token in a header). `'websocket'`: `GET /v1/ws`, the token in the URL as `access_token`.
   */
  transport?: 'sse' | 'websocket';
  /** The `WebSocket` constructor (default: the global one; on Node 20, pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
}

/** CloudEvents attributes a publisher may set; the hub fills in `id`, `time`, `specversion` and `source`. */
export interface ClientPublishAttributes extends HeraldExtensions {
  id?: string;
  source?: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Any other CloudEvents extension attribute (lower-case a-z0-9 names). */
  [extension: string]: unknown;
}

/** Where an event is stored, with optimistic concurrency. */
export interface ClientStorageOptions {
  /** Append to this stream; the stored event gets `stream` and `version`. */
  stream?: string;
  /** The stream's version must be this (`'any'`, `'no_stream'`, `'stream_exists'` or a number). */
  expectedVersion?: 'any' | 'no_stream' | 'stream_exists' | number;
  /** Aborts the request (rejects with `ABORTED`). */
  signal?: AbortSignal;
}

/** Options of `publish`: attributes of the event, and where it is stored. */
export type ClientPublishOptions = ClientPublishAttributes &
  ClientStorageOptions & {
    /** Sets `expiresat` to now + `ttlMs`. */
    ttlMs?: number;
  };

/**
 * When a publish is delivered: later (`delayMs`, counted by the hub's clock) or at a time
 * (`deliverAt`). The hub stores it in its log's schedule and answers once it is durably scheduled;
 * it enters the log, and reaches subscribers, when due. Not with `expectedVersion`.
 */
export type ClientDelayOptions =
  { delayMs: number; deliverAt?: never } | { deliverAt: Date | string; delayMs?: never };

/** What the hub answers for a scheduled publish. */
export interface ScheduledPublish {
  readonly id: string;
  /** When it is due (RFC 3339); for a duplicate, the pending original's time. */
  readonly deliverAt: string;
  /** An event with this id was already pending: nothing was stored. */
  readonly duplicate: boolean;
}

/** A pending scheduled event, as `scheduled()` lists it. */
export interface ClientScheduledEvent {
  readonly event: HeraldEvent;
  readonly deliverAt: string;
  readonly stream: string | null;
}

/** An event to publish as one object (for `publishBatch`). */
export type ClientPublishInit<E extends EventMap> = {
  [T in keyof E & string]: { type: T; data: E[T] } & ClientPublishAttributes;
}[keyof E & string];

/** Where the hub stored a published event. */
export interface Published {
  readonly id: string;
  readonly position: number;
  readonly stream: string | null;
  readonly version: number | null;
  /** The id was already stored: this is the original's position. */
  readonly duplicate: boolean;
}

/** Options shared by `subscribe` and `events`. */
export interface LiveOptions extends StreamCallbacks {
  /** Where the first connection starts (default `'end'`): `'start'`/`0`, a position (inclusive), a time. */
  from?: From;
  /** Resume after this id (a position from an earlier stream); wins over `from`. */
  lastEventId?: string | number;
  /** Ends the stream. */
  signal?: AbortSignal;
  /** Overrides the client's retry options. */
  retry?: RetryOptions;
  /** Overrides the client's transport. */
  transport?: 'sse' | 'websocket';
}

/** Options of `subscribe`. */
export interface SubscribeOptions extends LiveOptions {
  /**
   * A handler that threw (`event` given), or the failure that ended the subscription. Default:
   * `console.error`, as an `EventTarget` reports a listener's exception; delivery goes on after a
   * handler error.
   */
  onError?: (error: unknown, event?: unknown) => void;
}

/** Options of `events`. */
export interface EventsOptions extends LiveOptions {
  /**
   * Events buffered ahead of the loop (default 100). When the buffer is full the client stops
   * reading the connection (backpressure, nothing is dropped); a hub that finds the client too far
   * behind closes the stream, and the client resumes after the last event it buffered.
   */
  buffer?: number;
}

/** A running subscription. */
export interface Subscription {
  /** The id of the last event handled (or skipped by the hub), to resume later with `lastEventId`. */
  readonly lastEventId: string | undefined;
  /** Resolves once the hub accepted the stream; rejects if it ended first. */
  readonly ready: Promise<void>;
  /** Resolves once closed (`close`, the signal); rejects with the failure that ended it. */
  readonly closed: Promise<void>;
  close(): void;
}

/** The async iterator of `events`: also closable, and it knows where it is. */
export interface EventStream<T> extends AsyncIterableIterator<T> {
  /** The id of the last event the loop received. */
  readonly lastEventId: string | undefined;
  /** Resolves once the hub accepted the stream (starts it, if the loop has not yet). */
  readonly ready: Promise<void>;
  close(): void;
}
