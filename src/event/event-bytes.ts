import { base64ToBytes } from './base64.js';
import type { HeraldEvent } from './types.js';

/**
 * The binary payload of an event: `data_base64` decoded into a new `Uint8Array`, or `data` itself
 * when it is a `Uint8Array`; `undefined` when the event carries no binary data.
 *
 * @example
 * ```ts
 * const event = createEvent({ type: 'image.resized', data: new Uint8Array([137, 80, 78, 71]) });
 * event.data_base64; // 'iVBORw=='
 * eventBytes(event); // Uint8Array [137, 80, 78, 71]
 * ```
 */
export function eventBytes(event: HeraldEvent): Uint8Array | undefined {
  if (typeof event.data_base64 === 'string') return base64ToBytes(event.data_base64);
  return event.data instanceof Uint8Array ? event.data : undefined;
}
