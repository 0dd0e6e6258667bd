export { createBroker } from './create-broker.js';
export { memoryTransportHub, type MemoryTransportHub } from './memory-transport.js';
export type {
  EventTransport,
  RequestTransport,
  TransportMessage,
  TransportUnsubscribe,
} from './transport.js';
export type { EventMap, EventFor, EventOf, MatchingTypes, PatternMatches, TypedEvent } from './event-map.js';
export type { DeadLetter, DeadLetterFilter, DeadLetters } from './dead-letters.js';
export type { OverflowPolicy } from './subscription-runtime.js';
export type { SubscriptionStats } from './subscription-stats.js';
export type {
  Broker,
  BrokerOptions,
  BrokerStats,
  CloseResult,
  ConsumeOptions,
  EventStream,
  Handler,
  PublishAttributes,
  PublishInit,
  PublishOptions,
  DelayOptions,
  ReplyMap,
  RequestOptions,
  StorageOptions,
  SubscribeOptions,
  Subscription,
} from './types.js';
