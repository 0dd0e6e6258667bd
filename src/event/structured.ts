import { HeraldError } from '../errors/index.js';
import { bytesToBase64 } from './base64.js';
import { invalidEvent } from './invalid-event.js';
import type { HeraldEvent } from './types.js';
import { validateEvent } from './validate-event.js';

function parseJson(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (err) {
    const error = invalidEvent(null, 'json', `is not valid JSON (${(err as Error).message})`);
    throw new HeraldError('INVALID_EVENT', error.message, { cause: err, details: error.details });
  }
}

/**
 * Reads one event in the CloudEvents JSON format (`application/cloudevents+json`): a JSON string
 * is parsed first, anything else is taken as already parsed. The result is `validateEvent`'s:
 * null attributes dropped, binary data kept as `data_base64` (decode it with `eventBytes`).
 * Throws `HeraldError('INVALID_EVENT')`, with rule `json` when the text is not JSON.
 *
 * @example
 * ```ts
 * const event = parseStructured(await request.text());
 * ```
 */
export function parseStructured(json: unknown): HeraldEvent {
  return validateEvent(parseJson(json));
}

/**
 * Writes an event in the CloudEvents JSON format. `Uint8Array` data is written as `data_base64`;
 * `undefined` members are left out. Throws `INVALID_EVENT` (attribute `data`, rule `serializable`)
 * when `data` cannot be written as JSON.
 *
 * @example
 * ```ts
 * response.setHeader('content-type', 'application/cloudevents+json');
 * response.end(toStructured(event));
 * ```
 */
export function toStructured(event: HeraldEvent): string {
  const data = event.data;
  const json =
    data instanceof Uint8Array ? { ...event, data: undefined, data_base64: bytesToBase64(data) } : event;
  try {
    return JSON.stringify(json);
  } catch (err) {
    const error = invalidEvent(
      'data',
      'serializable',
      `cannot be written as JSON (${(err as Error).message})`,
    );
    throw new HeraldError('INVALID_EVENT', error.message, { cause: err, details: error.details });
  }
}

/**
 * Reads a batch in the CloudEvents JSON batch format (`application/cloudevents-batch+json`): a JSON
 * array of events, each checked by `validateEvent`. The error for a bad element names it in
 * `details.index`, next to its `attribute` and `rule`.
 *
 * @example
 * ```ts
 * for (const event of parseBatch(await request.text())) await broker.publishEvent(event);
 * ```
 */
export function parseBatch(json: unknown): HeraldEvent[] {
  const batch = parseJson(json);
  if (!Array.isArray(batch)) throw invalidEvent(null, 'array', 'batch must be a JSON array', batch);
  return batch.map((element: unknown, index) => {
    try {
      return validateEvent(element);
    } catch (err) {
      if (!(err instanceof HeraldError)) throw err;
      throw new HeraldError('INVALID_EVENT', `invalid CloudEvent batch: element ${index}: ${err.message}`, {
        cause: err,
        details: { ...err.details, index },
      });
    }
  });
}

/**
 * Writes events in the CloudEvents JSON batch format, each as `toStructured` writes it.
 *
 * @example
 * ```ts
 * response.setHeader('content-type', 'application/cloudevents-batch+json');
 * response.end(toBatch(events));
 * ```
 */
export function toBatch(events: readonly HeraldEvent[]): string {
  return `[${events.map(toStructured).join(',')}]`;
}
