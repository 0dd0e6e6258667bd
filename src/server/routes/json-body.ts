import type { FastifyRequest } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';

/**
 * An `INVALID_QUERY` error naming the field (`details.parameter`) and, when it is small, the value.
 *
 * @example
 * ```ts
 * throw invalidField('max', 'max must be an integer from 1 to 1000', 0);
 * ```
 */
export function invalidField(parameter: string, message: string, value: unknown): HeraldError {
  const small = value === null || typeof value !== 'object' ? value : undefined;
  return new HeraldError('INVALID_QUERY', message, {
    details: { parameter, ...(small !== undefined && { value: small }) },
  });
}

/**
 * The JSON object of a request body (the raw body Fastify kept as a Buffer), or `undefined` for
 * no body. Refuses another content type (`UNSUPPORTED_MEDIA_TYPE`), bodies that are not JSON or
 * not an object, and fields outside `fields` (`INVALID_QUERY` naming the field), so a typo cannot
 * silently widen what a request acts on.
 *
 * @example
 * ```ts
 * const body = jsonObjectBody(request, ['positions'], '{"positions": [3, 7]}') ?? {};
 * ```
 */
export function jsonObjectBody(
  request: FastifyRequest,
  fields: readonly string[],
  example: string,
): Record<string, unknown> | undefined {
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (raw.length === 0) return undefined;
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== '') {
    throw new HeraldError('UNSUPPORTED_MEDIA_TYPE', `send application/json, got "${type}"`, {
      details: { contentType: type },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw invalidField('body', `the body is not valid JSON: ${(error as Error).message}`, null);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidField('body', `the body must be a JSON object such as ${example}`, parsed);
  }
  const object = parsed as Record<string, unknown>;
  const unknown = Object.keys(object).find((key) => !fields.includes(key));
  if (unknown !== undefined) {
    throw invalidField(
      unknown,
      `unknown field "${unknown}": the body takes ${fields.map((f) => `"${f}"`).join(', ')}`,
      object[unknown],
    );
  }
  return object;
}
