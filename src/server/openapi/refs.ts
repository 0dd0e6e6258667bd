import type { Content, JsonSchema, Response } from './types.js';

/**
 * A `$ref` to a component: `ref('schemas', 'StoredEvent')`.
 *
 * @example
 * ```ts
 * ref('schemas', 'GroupInfo'); // { $ref: '#/components/schemas/GroupInfo' }
 * ```
 */
export function ref(kind: 'schemas' | 'parameters' | 'responses', name: string): { readonly $ref: string } {
  return { $ref: `#/components/${kind}/${name}` };
}

/**
 * An `application/json` body of a schema.
 *
 * @example
 * ```ts
 * json(ref('schemas', 'GroupList'));
 * ```
 */
export function json(schema: JsonSchema): Content {
  return { 'application/json': { schema } };
}

/**
 * A 2xx response with a JSON body.
 *
 * @example
 * ```ts
 * ok('The groups', ref('schemas', 'GroupList'));
 * ```
 */
export function ok(description: string, schema: JsonSchema): Response {
  return { description, content: json(schema) };
}

/** The shared error responses, by status: each is `{ error: { code, message, details } }`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

const NAMES: Record<ErrorStatus, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'Unavailable',
};

/**
 * `$ref`s to the shared error responses for these statuses, plus 500 `INTERNAL` (any route).
 * 401 and 429 go on every authenticated route: auth and the rate limit run before any handler.
 *
 * @example
 * ```ts
 * const responses = { '200': ok('The group', ref('schemas', 'GroupDetail')), ...errors(403, 404) };
 * ```
 */
export function errors(...statuses: ErrorStatus[]): Record<string, { readonly $ref: string }> {
  const out: Record<string, { readonly $ref: string }> = {};
  for (const status of [...statuses].sort()) out[String(status)] = ref('responses', NAMES[status]);
  out['500'] = ref('responses', 'Internal');
  return out;
}

/**
 * The component names of the error responses, by status, for `components.ts`.
 *
 * @example
 * ```ts
 * ERROR_RESPONSE_NAMES[404]; // 'NotFound'
 * ```
 */
export const ERROR_RESPONSE_NAMES: Readonly<Record<ErrorStatus, string>> = NAMES;
