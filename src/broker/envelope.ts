import { AsyncLocalStorage } from 'node:async_hooks';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { isThenable } from '../delivery/compose.js';
import { HeraldError } from '../errors/herald-error.js';
import { createEvent, plainEvent } from '../event/create-event.js';
import type { HeraldEvent } from '../event/types.js';
import type { PublishAttributes, PublishOptions } from './types.js';

// One correlation context for the whole process, shared by every broker. Node 20 keeps each
// AsyncLocalStorage that ever ran in a process-wide list (until `disable()`), and every promise
// created anywhere, by anyone, then pays for each one in the list: measured, 20 brokers created,
// used once and closed made a bare `Promise.resolve()` cost 1,106 ns instead of 7.7 ns. Shared,
// the cost is that of one store however many brokers come and go, and a handler of one broker
// publishing through another passes its correlation on, as it would within one broker.
let sharedContext: AsyncLocalStorage<HeraldEvent> | undefined;

/**
 * Builds the envelope of every event the broker publishes or requests: the defaults, correlation
 * from the handler being run, `ttlMs`, and schema validation of `data`.
 */
export class Envelopes {
  /**
   * The handler's event while it runs, when correlation is on: subscriptions enter it. One store
   * for all brokers (see `sharedContext`).
   */
  readonly context: AsyncLocalStorage<HeraldEvent> | undefined;
  readonly #defaults: { source: string };
  readonly #schemas: Record<string, StandardSchemaV1 | undefined> | undefined;

  constructor(options: {
    source?: string | undefined;
    correlation?: boolean | undefined;
    schemas?: Record<string, StandardSchemaV1 | undefined> | undefined;
  }) {
    this.#defaults = { source: options.source ?? 'herald' };
    this.#schemas = options.schemas;
    if (options.correlation ?? true) this.context = sharedContext ??= new AsyncLocalStorage<HeraldEvent>();
  }

  /** The event, or a promise of it when the schema of `type` validates asynchronously. */
  make(
    type: string,
    data: unknown,
    attributes: PublishAttributes | undefined,
  ): HeraldEvent | Promise<HeraldEvent> {
    const schema = this.#schemas?.[type];
    if (schema) {
      const checked = schema['~standard'].validate(data);
      if (isThenable(checked))
        return checked.then((r) => this.#envelope(type, validated(type, r), attributes));
      data = validated(type, checked);
    }
    return this.#envelope(type, data, attributes);
  }

  #envelope(type: string, data: unknown, attributes: PublishAttributes | undefined): HeraldEvent {
    const parent = this.context?.getStore();
    if (attributes === undefined && parent === undefined) {
      if (typeof type === 'string' && type !== '') return plainEvent(type, data, this.#defaults);
      return createEvent({ type, data }, this.#defaults); // throws the precise error
    }
    const {
      wait: _wait,
      ttlMs,
      stream: _stream,
      expectedVersion: _expected,
      ephemeral: _ephemeral,
      delayMs: _delayMs,
      deliverAt: _deliverAt,
      deliverat: _deliverat,
      ...rest
    } = (attributes ?? {}) as PublishOptions;
    const init: Record<string, unknown> = { ...rest, type, data };
    if (parent) {
      init.correlationid ??= parent.correlationid ?? parent.id;
      init.causationid ??= parent.id;
    }
    if (ttlMs !== undefined) init.expiresat = new Date(Date.now() + ttlMs).toISOString();
    return createEvent(init as { type: string }, this.#defaults);
  }
}

/** The validated value, or `INVALID_DATA` listing the schema's issues. */
export function validated(type: string, result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues === undefined) return result.value;
  const issues = result.issues.map((i) => ({
    message: i.message,
    path: i.path?.map((p) => String(typeof p === 'object' ? p.key : p)).join('.') ?? '',
  }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new HeraldError('INVALID_DATA', `invalid data for "${type}": ${summary}`, {
    details: { type, issues },
  });
}
