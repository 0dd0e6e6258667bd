import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/index.js';
import { createEvent } from './create-event.js';
import { eventBytes } from './event-bytes.js';
import { parseBatch, parseStructured, toBatch, toStructured } from './structured.js';
import type { HeraldEvent } from './types.js';

const MINIMAL = { specversion: '1.0', id: 'e-1', source: '/shop', type: 'order.created' } as const;

function caught(fn: () => unknown): HeraldError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HeraldError);
    expect((err as HeraldError).code).toBe('INVALID_EVENT');
    return err as HeraldError;
  }
  return expect.fail('expected an INVALID_EVENT error');
}

describe('parseStructured', () => {
  it('parses JSON text and validates it', () => {
    const event = parseStructured(JSON.stringify({ ...MINIMAL, data: { a: 1 }, subject: null }));
    expect(event).toStrictEqual({ ...MINIMAL, data: { a: 1 } });
  });

  it('takes an already parsed value as it is', () => {
    expect(parseStructured({ ...MINIMAL })).toStrictEqual(MINIMAL);
  });

  it('rejects malformed JSON with rule "json" and keeps the parser error as cause', () => {
    const err = caught(() => parseStructured('{"specversion": "1.0",'));
    expect(err.details).toEqual({ attribute: null, rule: 'json' });
    expect(err.message).toMatch(/^invalid CloudEvent: event is not valid JSON/);
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects JSON that is not an object', () => {
    expect(caught(() => parseStructured('"an event"')).details).toEqual({ attribute: null, rule: 'object' });
    expect(caught(() => parseStructured('[]')).details).toEqual({ attribute: null, rule: 'object' });
  });

  it('reads a JSON string as a JSON string, not as a nested document', () => {
    const event = parseStructured(JSON.stringify({ ...MINIMAL, data: '{"a":1}' }));
    expect(event.data).toBe('{"a":1}');
  });
});

describe('toStructured', () => {
  it('writes the event as one JSON object with extensions at the top level', () => {
    const event: HeraldEvent = { ...MINIMAL, priority: 'high', data: { a: 1 } };
    expect(JSON.parse(toStructured(event))).toEqual({ ...MINIMAL, priority: 'high', data: { a: 1 } });
  });

  it('leaves out members whose value is undefined', () => {
    const event: HeraldEvent = { ...MINIMAL, subject: undefined, data: undefined };
    expect(toStructured(event)).toBe(JSON.stringify(MINIMAL));
  });

  it('writes an explicit null payload as "data": null', () => {
    expect(JSON.parse(toStructured({ ...MINIMAL, data: null }))).toHaveProperty('data', null);
  });

  it('writes Uint8Array data of a hand-made event as data_base64', () => {
    const json = JSON.parse(toStructured({ ...MINIMAL, data: new Uint8Array([77, 97]) }));
    expect(json).toEqual({ ...MINIMAL, data_base64: 'TWE=' });
  });

  it('rejects data that JSON cannot hold with rule "serializable"', () => {
    const err = caught(() => toStructured({ ...MINIMAL, data: { big: 1n } }));
    expect(err.details).toEqual({ attribute: 'data', rule: 'serializable' });
    expect(err.cause).toBeInstanceOf(TypeError);
  });
});

describe('binary data', () => {
  it('round-trips bytes from createEvent through the JSON format', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
    const event = createEvent({
      type: 'blob.stored',
      data: bytes,
      datacontenttype: 'application/octet-stream',
    });
    const parsed = parseStructured(toStructured(event));
    expect(parsed).toStrictEqual(event);
    expect(parsed.data_base64).toEqual(expect.any(String));
    expect(eventBytes(parsed)).toEqual(bytes);
  });

  it('eventBytes returns a fresh Uint8Array, bytes given as data, or undefined for other data', () => {
    const decoded = eventBytes({ ...MINIMAL, data_base64: 'TWE=' })!;
    expect(decoded).toEqual(new Uint8Array([77, 97]));
    expect(decoded.byteLength).toBe(decoded.buffer.byteLength);
    const bytes = new Uint8Array([1]);
    expect(eventBytes({ ...MINIMAL, data: bytes })).toBe(bytes);
    expect(eventBytes({ ...MINIMAL, data: 'text' })).toBeUndefined();
    expect(eventBytes(MINIMAL)).toBeUndefined();
  });
});

describe('parseBatch and toBatch', () => {
  it('parses an array of events, text or parsed', () => {
    const batch = [MINIMAL, { ...MINIMAL, id: 'e-2', data: [1] }];
    expect(parseBatch(JSON.stringify(batch))).toStrictEqual(batch);
    expect(parseBatch(batch)).toStrictEqual(batch);
    expect(parseBatch('[]')).toEqual([]);
  });

  it('rejects a batch that is not an array', () => {
    expect(caught(() => parseBatch(JSON.stringify(MINIMAL))).details).toEqual({
      attribute: null,
      rule: 'array',
    });
    expect(caught(() => parseBatch('[')).details).toEqual({ attribute: null, rule: 'json' });
  });

  it('names the index of the bad element with its attribute and rule', () => {
    const err = caught(() => parseBatch([MINIMAL, MINIMAL, { ...MINIMAL, time: 'noon' }]));
    expect(err.details).toEqual({ index: 2, attribute: 'time', rule: 'timestamp' });
    expect(err.message).toBe(
      'invalid CloudEvent batch: element 2: invalid CloudEvent: attribute "time" must be an RFC 3339 timestamp, got "noon"',
    );
    expect(err.cause).toBeInstanceOf(HeraldError);
  });

  it('writes a batch that parses back to the same events', () => {
    const events = [
      createEvent({ type: 'a', data: { x: 1 } }),
      createEvent({ type: 'b', data: new Uint8Array([1, 2]) }),
      createEvent({ type: 'c', priority: 'low' }),
    ];
    expect(parseBatch(toBatch(events))).toStrictEqual(events);
    expect(toBatch([])).toBe('[]');
  });
});

describe('round trip', () => {
  it.each([
    ['minimal', MINIMAL],
    [
      'all core attributes',
      { ...MINIMAL, time: '2018-04-05T17:31:00Z', subject: 's', dataschema: 'https://x/s' },
    ],
    ['text data', { ...MINIMAL, datacontenttype: 'text/plain', data: 'Simple text' }],
    ['JSON data', { ...MINIMAL, data: { nested: { list: [1, 'two', null, true] } } }],
    ['null data', { ...MINIMAL, data: null }],
    ['binary data', { ...MINIMAL, datacontenttype: 'image/png', data_base64: 'iVBORw==' }],
    ['extensions', { ...MINIMAL, priority: 'high', tenant: 'acme', count: 3, flag: false }],
    ['nulls for optional attributes', { ...MINIMAL, subject: null, time: null, tenant: null }],
  ])('parse(write(parse(x))) equals parse(x) and x minus nulls: %s', (_, input) => {
    const once = parseStructured(JSON.stringify(input));
    expect(parseStructured(toStructured(once))).toStrictEqual(once);
    const withoutNulls = Object.fromEntries(
      Object.entries(input).filter(([name, value]) => value !== null || name === 'data'),
    );
    expect(once).toStrictEqual(withoutNulls);
  });
});
