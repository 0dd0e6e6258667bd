/**
 * `herald/client`: a typed client of a Herald hub for browsers, Node 20+ and any runtime with
 * `fetch`. No Node built-ins.
 */
export { createClient, type HeraldClient } from './create-client.js';
export type {
  ClientOptions,
  ClientPublishAttributes,
  ClientPublishInit,
  ClientPublishOptions,
  ClientDelayOptions,
  ClientScheduledEvent,
  ScheduledPublish,
  ClientStorageOptions,
  EventForAny,
  EventStream,
  EventsOptions,
  LiveOptions,
  Published,
  SubscribeOptions,
  Subscription,
} from './types.js';
export type { From, LostRange, RetryInfo, StreamCallbacks } from './follow.js';
export type {
  ClientGroup,
  ConsumeOptions,
  Delivery,
  GroupCreateOptions,
  NackOptions,
  SettleStatus,
} from './group.js';
export type { TokenSource } from './http.js';
export type { WebSocketConstructor, WebSocketLike } from './follow-ws.js';
export type { RetryOptions } from './timing.js';
export { HubError, type HubErrorCode } from './errors.js';
export { HeraldError } from '../errors/herald-error.js';
export type { HeraldErrorCode } from '../errors/codes.js';
export type { EventMap, EventFor } from '../broker/event-map.js';
export type { HeraldEvent } from '../event/types.js';
export { SseParser, type SseEvent, type SseParserHandlers } from './sse-parser.js';
