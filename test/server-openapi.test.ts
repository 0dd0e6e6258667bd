import { readFileSync } from 'node:fs';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { createServer } from '../src/server/index.js';
import { openApiDocument } from '../src/server/openapi.js';

// Every route any Fastify instance registers, seen through an `onRoute` hook added the moment the
// instance is created: nothing the server registers (directly or in plugins) escapes it.
const registered = vi.hoisted(() => [] as { method: string; url: string; config: unknown }[]);
vi.mock('fastify', async (importOriginal) => {
  const actual = await importOriginal<typeof import('fastify')>();
  const original = actual.default as unknown as (...args: unknown[]) => FastifyInstance;
  const watched = (...args: unknown[]) => {
    const app = original(...args);
    app.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat())
        registered.push({ method, url: route.url, config: route.config });
    });
    return app;
  };
  return { ...actual, default: Object.assign(watched, actual.default), fastify: watched };
});

type Json = Record<string, unknown>;
const doc = openApiDocument() as unknown as Json;
const paths = doc.paths as Record<string, Record<string, Json>>;
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

let app: FastifyInstance;
let base: string;
let log: EventLog;
beforeAll(async () => {
  log = memoryLog();
  app = createServer({ log });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await app.close();
  await log.close();
});

/** Resolves a local `$ref` (`#/components/...`), or throws naming it. */
function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`not a local $ref: ${ref}`);
  let node: unknown = doc;
  for (const key of ref.slice(2).split('/')) {
    if (node === null || typeof node !== 'object' || !(key in node))
      throw new Error(`unresolved $ref: ${ref}`);
    node = (node as Json)[key];
  }
  return node;
}
const deref = (node: unknown): Json =>
  (node !== null && typeof node === 'object' && '$ref' in node
    ? resolve((node as { $ref: string }).$ref)
    : node) as Json;

function operations(): { key: string; path: string; method: string; op: Json }[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((method) => ({
      key: `${method.toUpperCase()} ${path}`,
      path,
      method,
      op: item[method]!,
    })),
  );
}

/**
 * A small JSON Schema checker for what the document uses ($ref, allOf, oneOf, type, const,
 * enum, required, properties, additionalProperties: false, items, minimum, maximum): enough to
 * prove that real responses have the documented shape. Returns the problems found.
 */
function check(schema: unknown, value: unknown, at = '$'): string[] {
  const s = deref(schema);
  const problems: string[] = [];
  if (s.allOf) for (const part of s.allOf as unknown[]) problems.push(...check(part, value, at));
  if (s.oneOf) {
    const passing = (s.oneOf as unknown[]).filter((part) => check(part, value, at).length === 0).length;
    if (passing !== 1) problems.push(`${at}: matches ${passing} of oneOf`);
  }
  if (s.type !== undefined) {
    const actual =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'array'
          : Number.isInteger(value)
            ? 'integer'
            : typeof value;
    const allowed = [s.type].flat() as string[];
    if (!allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number')))
      return [...problems, `${at}: ${actual} is not ${allowed.join('|')}`];
  }
  if ('const' in s && value !== s.const) problems.push(`${at}: not ${JSON.stringify(s.const)}`);
  if (s.enum && !(s.enum as unknown[]).includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) problems.push(`${at}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) problems.push(`${at}: above ${s.maximum}`);
  }
  if (Array.isArray(value) && s.items)
    value.forEach((item, i) => problems.push(...check(s.items, item, `${at}[${i}]`)));
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Json;
    for (const key of (s.required ?? []) as string[])
      if (!(key in object)) problems.push(`${at}: missing ${key}`);
    const properties = (s.properties ?? {}) as Json;
    for (const [key, item] of Object.entries(object)) {
      if (key in properties) problems.push(...check(properties[key], item, `${at}.${key}`));
      else if (s.additionalProperties === false) problems.push(`${at}: unexpected ${key}`);
    }
  }
  return problems;
}

/** Calls the hub and checks the reply against the documented response of that operation and status. */
async function conforms(path: string, method: string, url: string, init: RequestInit = {}): Promise<Json> {
  const res = await fetch(`${base}${url}`, { ...init, method: method.toUpperCase() });
  const op = paths[path]?.[method];
  expect(op, `${method} ${path} is documented`).toBeDefined();
  const response = deref((op!.responses as Json)[String(res.status)]);
  expect(response, `${method} ${path} documents status ${res.status}`).toBeDefined();
  const content = response.content as Record<string, { schema: unknown }>;
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!;
  expect(Object.keys(content).map((k) => k.split(';')[0])).toContain(mediaType);
  const body = (await res.json()) as Json;
  expect(check(content['application/json']!.schema, body), `${method} ${url} -> ${res.status}`).toEqual([]);
  return body;
}

describe('the OpenAPI document and the server agree', () => {
  it('documents every route the server registers (HEAD and the CORS preflight aside)', () => {
    expect(registered.length).toBeGreaterThan(0);
    const undocumented = registered
      // `OPTIONS *` is @fastify/cors's preflight route, there whenever CORS can apply (a hub without
      // auth answers loopback origins): preflights are CORS, not operations of the API.
      .filter((r) => r.method !== 'HEAD' && !(r.method === 'OPTIONS' && r.url === '*'))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .filter((key) => {
        const [method, path] = key.split(' ') as [string, string];
        return paths[path]?.[method.toLowerCase()] === undefined;
      });
    expect(undocumented, 'routes missing from src/server/openapi').toEqual([]);
  });

  it('registers every documented route', () => {
    const missing = operations()
      .filter(
        ({ path, method }) =>
          !app.hasRoute({ method: method.toUpperCase(), url: path.replace(/\{(\w+)\}/g, ':$1') }),
      )
      .map(({ key }) => key);
    expect(missing, 'documented routes the server does not have').toEqual([]);
  });

  it('serves the document at GET /v1/openapi.json, on a route marked public', async () => {
    const res = await fetch(`${base}/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    const route = registered.find((r) => r.url === '/v1/openapi.json' && r.method === 'GET');
    expect(route?.config).toMatchObject({ public: true });
  });
});

describe('the document is well formed', () => {
  it('is OpenAPI 3.1 with info, tags and security schemes for bearer tokens and access_token', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const schemes = (doc.components as Json).securitySchemes as Json;
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.accessToken).toMatchObject({ type: 'apiKey', in: 'query', name: 'access_token' });
  });

  it('resolves every $ref', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref') refs.push(value as string);
          else walk(value);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(() => resolve(ref), ref).not.toThrow();
  });

  it('uses every component it defines', () => {
    const text = JSON.stringify(doc);
    const components = doc.components as Record<string, Json>;
    for (const kind of ['schemas', 'parameters', 'responses']) {
      for (const name of Object.keys(components[kind]!)) {
        expect(text, `#/components/${kind}/${name} is used`).toContain(`"#/components/${kind}/${name}"`);
      }
    }
  });

  it('gives every operation a unique operationId, a declared tag, a success response and described responses', () => {
    const ids = new Set<string>();
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    for (const { key, op } of operations()) {
      expect(ids.has(op.operationId as string), `${key} operationId is unique`).toBe(false);
      ids.add(op.operationId as string);
      expect(op.summary, key).toEqual(expect.any(String));
      for (const tag of op.tags as string[]) expect(tags.has(tag), `${key} tag ${tag}`).toBe(true);
      const responses = Object.entries(op.responses as Json);
      expect(
        responses.some(([status]) => /^(2\d\d|101)$/.test(status)),
        `${key} has a success response`,
      ).toBe(true);
      for (const [status, response] of responses) {
        expect(deref(response).description, `${key} ${status} has a description`).toEqual(expect.any(String));
        if (/^[45]/.test(status)) {
          const schema = (deref(response).content as Record<string, { schema: unknown }>)['application/json']!
            .schema;
          expect(schema, `${key} ${status} is the shared error body`).toEqual({
            $ref: '#/components/schemas/Error',
          });
        }
      }
      const security = (op.security ?? doc.security) as Json[];
      for (const requirement of security)
        for (const name of Object.keys(requirement))
          expect(
            ((doc.components as Json).securitySchemes as Json)[name],
            `${key} scheme ${name}`,
          ).toBeDefined();
    }
  });

  it('declares exactly the path parameters of each path template, as required', () => {
    for (const { key, path, op } of operations()) {
      const template = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const params = ((op.parameters ?? []) as unknown[]).map(
        (p) => deref(p) as unknown as { name: string; in: string; required?: boolean },
      );
      const inPath = params.filter((p) => p.in === 'path');
      expect(inPath.map((p) => p.name).sort(), key).toEqual(template);
      for (const p of inPath) expect(p.required, `${key} ${p.name} is required`).toBe(true);
    }
  });

  it('lists every error code of docs/errors.md (and INTERNAL) in the error schema', () => {
    const table = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(10);
    const error = deref((doc.components as { schemas: Json }).schemas.Error);
    const codes = (((error.properties as Json).error as Json).properties as Json).code as { enum: string[] };
    expect(codes.enum).toEqual(
      expect.arrayContaining([...documented, 'INTERNAL', 'UNAUTHORIZED', 'FORBIDDEN']),
    );
  });
});

describe('real responses match the documented schemas', () => {
  it('for events and streams', async () => {
    const published = await conforms('/v1/events', 'post', '/v1/events', {
      headers: { 'content-type': 'application/json', 'herald-stream': 'doc-1' },
      body: JSON.stringify([{ type: 'doc.created', data: { n: 1 } }, { type: 'doc.updated' }]),
    });
    const id = (published.events as { id: string }[])[0]!.id;
    await conforms('/v1/events', 'post', '/v1/events', {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'doc-ce', source: '/t', type: 'doc.ce' }),
    });
    await conforms('/v1/events', 'get', '/v1/events?types=doc.>&limit=10');
    await conforms('/v1/events/{id}', 'get', `/v1/events/${id}`);
    await conforms('/v1/streams/{stream}', 'get', '/v1/streams/doc-1?limit=1');
    await conforms('/v1/streams/{stream}', 'get', '/v1/streams/nothing');
  });

  it('for errors', async () => {
    const missing = await conforms('/v1/events/{id}', 'get', '/v1/events/nope');
    expect((missing.error as Json).code).toBe('NOT_FOUND');
    await conforms('/v1/events', 'get', '/v1/events?limit=0');
    await conforms('/v1/events', 'post', '/v1/events', {
      headers: { 'content-type': 'text/csv' },
      body: 'a,b',
    });
    await conforms('/v1/groups/{name}', 'get', '/v1/groups/ghost');
    await conforms('/v1/sse', 'get', '/v1/sse?from=yesterday');
    await conforms('/v1/sse', 'get', '/v1/sse?types=a..b');
  });

  it('for groups and dead letters', async () => {
    const [a] = await log.append([{ type: 'doc.job' }]);
    const group = await log.group('doc-group', { startAt: a!.position, maxDeliveries: 1 });
    for (const delivery of await group.pull()) await delivery.nack({ error: 'boom' });
    await conforms('/v1/groups', 'get', '/v1/groups');
    await conforms('/v1/groups/{name}', 'get', '/v1/groups/doc-group');
    const dead = await conforms('/v1/groups/{name}/dead-letters', 'get', '/v1/groups/doc-group/dead-letters');
    expect((dead.deadLetters as unknown[]).length).toBe(1);
    const grouped = await conforms(
      '/v1/groups/{name}/dead-letters/errors',
      'get',
      '/v1/groups/doc-group/dead-letters/errors',
    );
    expect(grouped.errors).toMatchObject([{ error: 'boom', count: 1 }]);
    const json = { 'content-type': 'application/json' };
    await conforms(
      '/v1/groups/{name}/dead-letters/redrive',
      'post',
      '/v1/groups/doc-group/dead-letters/redrive',
      { headers: json, body: JSON.stringify({ error: 'no such error' }) },
    );
    await conforms(
      '/v1/groups/{name}/dead-letters/redrive',
      'post',
      '/v1/groups/doc-group/dead-letters/redrive',
      {
        headers: json,
        body: JSON.stringify({ positions: [a!.position] }),
      },
    );
    // The redriven dead letter waits to be delivered again: pending, counted afresh.
    const pending = await conforms('/v1/groups/{name}/pending', 'get', '/v1/groups/doc-group/pending');
    expect(pending.pending).toMatchObject([{ event: { position: a!.position }, deliveries: 0, error: null }]);
    await conforms('/v1/groups/{name}/pending', 'get', '/v1/groups/doc-group/pending?after=-1');
    await conforms('/v1/groups/{name}/dead-letters/purge', 'post', '/v1/groups/doc-group/dead-letters/purge');
  });

  it('for health and readiness', async () => {
    await conforms('/healthz', 'get', '/healthz');
    await conforms('/readyz', 'get', '/readyz');
  });
});
