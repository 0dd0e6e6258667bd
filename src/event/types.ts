/** Priority of an event within a subscription's queue: critical is served first. */
export type Priority = 'critical' | 'high' | 'normal' | 'low';

/** Severity of what an event reports (informational metadata; routing ignores it). */
export type Severity = 'info' | 'warn' | 'error' | 'critical';

/**
 * Herald's own CloudEvents extension attributes. Names follow the CloudEvents rule (lower-case
 * a-z0-9, at most 20 characters) so they travel unchanged through any CloudEvents transport.
 */
export interface HeraldExtensions {
  /** Id shared by every event of one business flow; inherited by events published in a handler. */
  correlationid?: string;
  /** Id of the event whose handler published this one. */
  causationid?: string;
  priority?: Priority;
  severity?: Severity;
  /** RFC 3339 time after which the event is not delivered (counted as expired). */
  expiresat?: string;
  userid?: string;
  sessionid?: string;
  instanceid?: string;
  /** W3C trace context `traceparent` header value. */
  traceparent?: string;
  /**
   * RFC 3339 time a scheduled event is (or was) due: set by `schedule` and delayed publishes; on
   * ingest over HTTP, asks for delivery at that time.
   */
  deliverat?: string;
}

/**
 * An immutable CloudEvents 1.0 envelope with Herald's extensions. `position`, `stream` and
 * `version` are set by the durable log when the event is stored.
 *
 * @example
 * ```ts
 * const e: HeraldEvent<'order.created', { id: string }> = {
 *   specversion: '1.0', id: uuidv7(), source: 'shop', type: 'order.created',
 *   time: new Date().toISOString(), data: { id: 'o-1' },
 * };
 * ```
 */
export interface HeraldEvent<TType extends string = string, TData = unknown> extends HeraldExtensions {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: TType;
  readonly time?: string;
  readonly subject?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  readonly data?: TData;
  /** Binary data, base64-encoded (CloudEvents JSON format); never set together with `data`. */
  readonly data_base64?: string;
  /** Global position in the log (assigned on append). */
  readonly position?: number;
  /** Stream (aggregate) the event was appended to. */
  readonly stream?: string;
  /** Version of the event within its stream, from 1. */
  readonly version?: number;
  /** Any other CloudEvents extension attribute (lower-case a-z0-9 names). */
  readonly [extension: string]: unknown;
}
