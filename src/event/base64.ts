// RFC 4648 section 4 (standard alphabet, padded), the CloudEvents `Binary` encoding.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Whether `value` is padded standard base64 (RFC 4648 section 4), as `data_base64` must be.
 *
 * @example
 * ```ts
 * isBase64('TWE='); // true
 * isBase64('TWE'); // false: padding is required
 * ```
 */
export function isBase64(value: string): boolean {
  return value.length % 4 === 0 && BASE64.test(value);
}

/**
 * Encodes bytes as standard base64 without copying them first.
 *
 * @example
 * ```ts
 * bytesToBase64(new Uint8Array([77, 97])); // 'TWE='
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes standard base64 into a fresh `Uint8Array` (a copy, not a view of Node's shared pool).
 *
 * @example
 * ```ts
 * base64ToBytes('TWE='); // Uint8Array [77, 97]
 * ```
 */
export function base64ToBytes(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, 'base64'));
}
