/**
 * The parts of an OpenAPI 3.1 document that Herald's hand-written one uses. Schemas are JSON
 * Schema 2020-12 objects, kept loose (`JsonSchema`) because they are data, not code.
 */

/** A JSON Schema (2020-12) or a `$ref` to one. */
export type JsonSchema = { readonly $ref: string } | Readonly<Record<string, unknown>>;

/** A `$ref`, or the object itself. */
export type Ref<T> = T | { readonly $ref: string };

/** An OpenAPI parameter (query, path or header). */
export interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}

/** The bodies of a request or response, by media type. */
export type Content = Readonly<Record<string, { readonly schema: JsonSchema }>>;

/** One response of an operation. */
export interface Response {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
  readonly content?: Content;
}

/** One method of a path. */
export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly parameters?: readonly Ref<Parameter>[];
  readonly requestBody?: {
    readonly required: boolean;
    readonly description?: string;
    readonly content: Content;
  };
  readonly responses: Readonly<Record<string, Ref<Response>>>;
}

/** The operations of one path, by lower-case method. */
export type PathItem = Readonly<Partial<Record<'get' | 'post' | 'put' | 'delete' | 'patch', Operation>>>;

/** An OpenAPI 3.1 document. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly parameters: Readonly<Record<string, Parameter>>;
    readonly responses: Readonly<Record<string, Response>>;
    readonly securitySchemes: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  };
}
