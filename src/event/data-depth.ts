import { HeraldError } from '../errors/herald-error.js';

/**
 * How deeply `data` may nest arrays and objects: `{}` and `[]` are one level, `{"a":[1]}` two.
 * Everything downstream of validation (JSON.stringify in the logs and the live feeds, Fastify's
 * serializer, SQLite's JSON functions) recurses once per level and fails far below what a 1 MiB
 * body can nest; 100 is MongoDB's and protobuf's limit, far above any real payload.
 *
 * @example
 * ```ts
 * checkDataDepth(JSON.parse('['.repeat(MAX_DATA_DEPTH + 1) + ']'.repeat(MAX_DATA_DEPTH + 1)));
 * // throws INVALID_EVENT, details { attribute: 'data', rule: 'depth', limit: 100 }
 * ```
 */
export const MAX_DATA_DEPTH = 100;

/**
 * Throws `INVALID_EVENT` (`details: { attribute: 'data', rule: 'depth', limit }`) when `data`
 * nests arrays and objects more than `MAX_DATA_DEPTH` levels deep, a cycle included. The walk
 * stops at the limit, so it never recurses more than `MAX_DATA_DEPTH` frames itself.
 *
 * @example
 * ```ts
 * checkDataDepth({ order: { lines: [{ sku: 'a' }] } }); // fine: 3 levels
 * ```
 */
export function checkDataDepth(data: unknown): void {
  if (typeof data === 'object' && data !== null && tooDeep(data, MAX_DATA_DEPTH)) {
    throw new HeraldError(
      'INVALID_EVENT',
      `invalid CloudEvent: attribute "data" nests arrays and objects more than ${MAX_DATA_DEPTH} levels deep`,
      { details: { attribute: 'data', rule: 'depth', limit: MAX_DATA_DEPTH } },
    );
  }
}

/** Whether `value` (an object) holds containers deeper than `levels`, itself counting as one. */
function tooDeep(value: object, levels: number): boolean {
  if (levels === 0) return true;
  // Bytes are written as base64 or as flat numbers, never as nested JSON.
  if (ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null && tooDeep(item, levels - 1)) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'object' && item !== null && tooDeep(item, levels - 1)) return true;
  }
  return false;
}
