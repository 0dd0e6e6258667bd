/**
 * Property-based fuzzing of CloudEvents ingest: the parsers (`parseIngest`, `parseStructured`,
 * `parseBatch`) on arbitrary headers and bodies return events that can be written back, or throw a
 * HeraldError the hub answers with a 4xx; and a real hub answers every fuzzed POST with a 2xx, or a
 * 4xx in the `{ error: { code, message, details } }` shape, never a 5xx. Seeded and bounded: see
 * `fuzz-helpers/fuzz-options.ts` to replay a failure or run longer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBatch, parseStructured, toStructured } from '../../src/event/structured.js';
import type { HeraldEvent } from '../../src/event/types.js';
import { validateEvent } from '../../src/event/validate-event.js';
import { parseIngest } from '../../src/server/parse-ingest.js';
import { nastyJson, nastyString, nestedJson } from './fuzz-helpers/arbitraries.js';
import { expectClientErrorOrValue, fuzzParams } from './fuzz-helpers/fuzz-options.js';
import { isErrorReply, securityHub, type SecurityHub } from './fuzz-helpers/security-hub.js';

const VALID = {
  specversion: '1.0',
  id: 'e-1',
  source: '/fuzz',
  type: 'fuzz.created',
  time: '2026-05-22T10:00:00Z',
  subject: 's-1',
  datacontenttype: 'application/json',
  dataschema: 'https://example.com/s.json',
  priority: 'high',
  correlationid: 'c-1',
  myext: 7,
  data: { n: 1, list: ['a', { b: null }] },
} as const;
const ATTRIBUTES = [...Object.keys(VALID), 'data_base64', 'traceparent', 'expiresat', 'position', 'version'];

/** A valid event with some attributes replaced by arbitrary values and some removed. */
const mutatedEvent = fc
  .tuple(
    fc.dictionary(fc.oneof(fc.constantFrom(...ATTRIBUTES), nastyString(6)), nastyJson(), { maxKeys: 3 }),
    fc.subarray(ATTRIBUTES),
  )
  .map(([set, removed]) =>
    Object.fromEntries(Object.entries({ ...VALID, ...set }).filter(([name]) => !removed.includes(name))),
  );

/** Nesting around the depth limit and far past it, as `data` or as the whole body. */
const deepJson = fc
  .tuple(
    fc.oneof(fc.integer({ min: 95, max: 105 }), fc.integer({ min: 0, max: 20_000 })),
    fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed'),
    fc.boolean(),
  )
  .map(([depth, kind, asData]) => {
    const nested = nestedJson(depth, kind);
    return asData
      ? `${JSON.stringify(VALID)
          .slice(0, -1)
          .replace(/,"data":.*$/, '')},"data":${nested}}`
      : nested;
  });

const jsonText = fc.oneof(
  nastyJson().map((v) => JSON.stringify(v)),
  mutatedEvent.map((e) => JSON.stringify(e)),
  fc.array(mutatedEvent, { maxLength: 3 }).map((list) => JSON.stringify(list)),
  fc
    .record({
      stream: nastyJson(),
      expectedVersion: nastyJson(),
      events: fc.array(mutatedEvent, { maxLength: 2 }),
    })
    .map((envelope) => JSON.stringify(envelope)),
  deepJson,
);

/** Bodies: raw bytes, JSON of every kind, and JSON cut short. */
const body = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  jsonText.map((t) => Buffer.from(t, 'utf8')),
  fc.tuple(jsonText, fc.nat()).map(([t, cut]) => Buffer.from(t.slice(0, cut % (t.length + 1)), 'utf8')),
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
    'Application/JSON; charset=utf-8',
    'text/plain',
    'application/octet-stream',
    'application/vnd.x+json',
    '',
  ),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
);

/** What a header can hold on the wire: visible ASCII and spaces (undici refuses the rest). */
const headerText = fc.oneof(
  nastyString().map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  nastyString().map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  fc.constantFrom('%E0%A4%A', '%', '%FF', '1.0', '/s', 'a.b', 'text/plain'),
);

const ceHeaders = fc.record(
  {
    specversion: fc.oneof(fc.constant('1.0'), headerText),
    names: fc.dictionary(
      fc.oneof(fc.constantFrom(...ATTRIBUTES), fc.stringMatching(/^[a-z0-9_]{0,8}$/)),
      headerText,
      { maxKeys: 6 },
    ),
    stream: headerText,
    expected: headerText,
  },
  { requiredKeys: ['names'] },
);

interface FuzzRequest {
  contentType: string | null;
  ce: { specversion?: string; names: Record<string, string>; stream?: string; expected?: string };
  body: Buffer;
}

/** Near-valid events: one attribute changed at most, so that many are accepted. */
const lightlyMutated = fc
  .tuple(fc.option(fc.constantFrom(...ATTRIBUTES)), nastyJson(), fc.uuid())
  .map(([name, value, id]) => (name === null ? { ...VALID, id } : { ...VALID, id, [name]: value }));

const plausibleJson: fc.Arbitrary<FuzzRequest> = fc.record({
  contentType: fc.constantFrom(
    'application/json',
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
  ),
  ce: fc.record({ names: fc.constant({}) }),
  body: fc
    .tuple(lightlyMutated, fc.boolean())
    .map(([event, batch]) => Buffer.from(JSON.stringify(batch ? [event] : event), 'utf8')),
});

const plausibleBinary: fc.Arbitrary<FuzzRequest> = fc.record({
  contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'application/octet-stream')),
  ce: fc.record({
    specversion: fc.constant('1.0'),
    names: fc
      .tuple(fc.uuid(), fc.dictionary(fc.constantFrom(...ATTRIBUTES), headerText, { maxKeys: 2 }))
      .map(([id, extra]) => ({ id, source: '/fuzz', type: 'fuzz.binary', ...extra })),
  }),
  body,
});

const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.record({ contentType: fc.option(contentType), ce: ceHeaders, body }),
  plausibleJson,
  plausibleBinary,
);

function headersOf(r: FuzzRequest): Record<string, string> {
  const ce = r.ce;
  const headers: Record<string, string> = {};
  if (r.contentType !== null) headers['content-type'] = r.contentType;
  for (const [name, value] of Object.entries(ce.names)) headers[`ce-${name}`] = value;
  if (ce.specversion !== undefined) headers['ce-specversion'] = ce.specversion;
  else delete headers['ce-specversion'];
  if (ce.stream !== undefined) headers['herald-stream'] = ce.stream;
  if (ce.expected !== undefined) headers['herald-expected-version'] = ce.expected;
  return headers;
}

/** An accepted event is valid again as it stands and can be written as JSON. */
function checkAccepted(events: readonly HeraldEvent[]): void {
  for (const event of events) {
    expect(() => validateEvent(event)).not.toThrow();
    expect(typeof toStructured(event)).toBe('string');
  }
}

describe('ingest parsers under fuzzing', () => {
  it('parseIngest: arbitrary headers and bodies give events or a 4xx HeraldError', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(request, (r) => {
        const headers = headersOf(r) as IncomingHttpHeaders;
        const result = expectClientErrorOrValue(() => parseIngest(headers, r.body, '/fuzz'));
        outcomes['value' in result ? 'accepted' : 'refused']++;
        if ('value' in result) checkAccepted(result.value.events);
      }),
      fuzzParams(1_500),
    );
    expect(outcomes.accepted).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('parseStructured and parseBatch: arbitrary text gives events that round-trip, or a 4xx', () => {
    fc.assert(
      fc.property(fc.oneof(jsonText, nastyString(40)), (text) => {
        const one = expectClientErrorOrValue(() => parseStructured(text));
        if ('value' in one) {
          checkAccepted([one.value]);
          expect(parseStructured(toStructured(one.value))).toEqual(one.value);
        }
        const many = expectClientErrorOrValue(() => parseBatch(text));
        if ('value' in many) checkAccepted(many.value);
      }),
      fuzzParams(1_500),
    );
  });

  it('parseStructured: arbitrary JavaScript values (not only JSON) give events or a 4xx, and so does writing them', () => {
    const anything = fc.anything({
      withBigInt: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
    });
    const input = fc.oneof(
      anything,
      fc.record({ data: anything, extra: fc.dictionary(fc.string(), anything, { maxKeys: 2 }) }).map((v) => ({
        ...VALID,
        ...v.extra,
        data: v.data,
      })),
    );
    fc.assert(
      fc.property(input, (value) => {
        const parsed = expectClientErrorOrValue(() => parseStructured(value));
        if ('value' in parsed) expectClientErrorOrValue(() => toStructured(parsed.value));
      }),
      fuzzParams(1_000),
    );
  });
});

describe('a real hub under fuzzed POST /v1/events', () => {
  let hub: SecurityHub;
  beforeAll(async () => {
    hub = await securityHub('sqlite');
  });
  afterAll(() => hub.stop());

  it('answers every request 2xx, or 4xx with the error shape; never 5xx', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const res = await fetch(`${hub.base}/v1/events`, {
          method: 'POST',
          headers: headersOf(r),
          body: new Uint8Array(r.body),
        });
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        const text = await res.text();
        expect(res.status, text).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(200);
        const json = JSON.parse(text) as unknown;
        if (res.status >= 400) expect(isErrorReply(json), text).toBe(true);
        else expect(Array.isArray((json as { events?: unknown }).events)).toBe(true);
      }),
      fuzzParams(300),
    );
    // The fuzz reached both sides: many requests were stored, many refused.
    const count = (from: number, to: number) =>
      [...seen].filter(([s]) => s >= from && s < to).reduce((sum, [, n]) => sum + n, 0);
    expect(count(200, 300)).toBeGreaterThan(20);
    expect(count(400, 500)).toBeGreaterThan(20);
  });
});
