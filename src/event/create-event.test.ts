import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/index.js';
import { createEvent } from './create-event.js';
import { eventBytes } from './event-bytes.js';
import { parseStructured, toStructured } from './structured.js';
import { validateEvent } from './validate-event.js';
import { uuidv7Time } from './uuidv7.js';

/** Runs `fn`, expecting an INVALID_EVENT; returns the error for further checks. */
function invalid(fn: () => unknown): HeraldError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HeraldError);
    expect((err as HeraldError).code).toBe('INVALID_EVENT');
    return err as HeraldError;
  }
  return expect.fail('expected an INVALID_EVENT error');
}

describe('createEvent', () => {
  it('fills specversion, a UUIDv7 id, the current time and the default source', () => {
    const before = Date.now();
    const event = createEvent({ type: 'order.created', data: { id: 'o-1' } });
    const after = Date.now();
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      source: 'herald',
      type: 'order.created',
      time: expect.any(String),
      datacontenttype: 'application/json',
      data: { id: 'o-1' },
    });
    expect(Date.parse(event.time!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(event.time!)).toBeLessThanOrEqual(after);
    expect(uuidv7Time(event.id)).toBeGreaterThanOrEqual(before);
  });

  it('builds the common case with a fixed key order, one shape per kind of data', () => {
    expect(Object.keys(createEvent({ type: 't', data: {} }))).toEqual([
      'specversion',
      'id',
      'source',
      'type',
      'time',
      'datacontenttype',
      'data',
    ]);
    expect(Object.keys(createEvent({ type: 't' }))).toEqual(['specversion', 'id', 'source', 'type', 'time']);
    expect(Object.keys(createEvent({ type: 't', data: 'x' }))).toEqual([
      'specversion',
      'id',
      'source',
      'type',
      'time',
      'data',
    ]);
  });

  it('gives each event a new, increasing id', () => {
    const a = createEvent({ type: 't' });
    const b = createEvent({ type: 't' });
    expect(a.id < b.id).toBe(true);
  });

  it('takes the source from the init first, then from the defaults, then "herald"', () => {
    expect(createEvent({ type: 't' }).source).toBe('herald');
    expect(createEvent({ type: 't' }, {}).source).toBe('herald');
    expect(createEvent({ type: 't' }, { source: '/shop' }).source).toBe('/shop');
    expect(createEvent({ type: 't', source: 'urn:billing' }, { source: '/shop' }).source).toBe('urn:billing');
  });

  it('rejects a default source that is not a URI-reference, every time it is passed', () => {
    for (let i = 0; i < 2; i++) {
      const err = invalid(() => createEvent({ type: 't' }, { source: 'my shop' }));
      expect(err.details).toEqual({ attribute: 'source', rule: 'uri-reference' });
    }
  });

  it('keeps an id, time and other core attributes given in the init', () => {
    const event = createEvent({
      type: 'order.created',
      id: 'order-1-created',
      time: '2018-04-05T17:31:00Z',
      subject: 'o-1',
      dataschema: 'https://example.com/order.json',
      datacontenttype: 'application/vnd.order+json',
      data: { id: 'o-1' },
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'order-1-created',
      source: 'herald',
      type: 'order.created',
      time: '2018-04-05T17:31:00Z',
      subject: 'o-1',
      dataschema: 'https://example.com/order.json',
      datacontenttype: 'application/vnd.order+json',
      data: { id: 'o-1' },
    });
  });

  describe('content type', () => {
    it.each([
      ['an object', { a: 1 }],
      ['an array', [1, 2]],
      ['a number', 42],
      ['a boolean', false],
      ['null (an explicit null payload)', null],
    ])('sets application/json when data is %s and no content type is given', (_, data) => {
      const event = createEvent({ type: 't', data });
      expect(event.datacontenttype).toBe('application/json');
      expect(event.data).toEqual(data);
      expect('data' in event).toBe(true);
    });

    it('sets no content type for string data, which the JSON format reads as a JSON string', () => {
      const event = createEvent({ type: 't', data: 'hello' });
      expect(event.datacontenttype).toBeUndefined();
      expect(event.data).toBe('hello');
    });

    it('sets no content type and no data member when there is no data', () => {
      const event = createEvent({ type: 't', data: undefined });
      expect('datacontenttype' in event).toBe(false);
      expect('data' in event).toBe(false);
    });

    it('keeps a content type given in the init', () => {
      expect(
        createEvent({ type: 't', data: '<a/>', datacontenttype: 'application/xml' }).datacontenttype,
      ).toBe('application/xml');
      expect(
        createEvent({ type: 't', data: { a: 1 }, datacontenttype: 'application/ld+json' }).datacontenttype,
      ).toBe('application/ld+json');
    });

    it('rejects non-string data under a content type that does not declare JSON', () => {
      const err = invalid(() => createEvent({ type: 't', data: { a: 1 }, datacontenttype: 'text/plain' }));
      expect(err.details).toEqual({ attribute: 'data', rule: 'data-string' });
    });

    it('rejects a content type that is not a media type', () => {
      const err = invalid(() => createEvent({ type: 't', data: 'x', datacontenttype: 'plain text' }));
      expect(err.details).toEqual({ attribute: 'datacontenttype', rule: 'media-type' });
    });
  });

  describe('binary data', () => {
    it('stores Uint8Array data as data_base64 and reads it back with eventBytes', () => {
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
      const event = createEvent({ type: 'blob.stored', data: bytes });
      expect(event.data_base64).toBe('AAEC/f7/');
      expect('data' in event).toBe(false);
      expect(event.datacontenttype).toBeUndefined();
      expect(eventBytes(event)).toEqual(bytes);
    });

    it('encodes only the bytes a subarray view covers', () => {
      const whole = new Uint8Array([9, 9, 77, 97, 9]);
      expect(createEvent({ type: 't', data: whole.subarray(2, 4) }).data_base64).toBe('TWE=');
      expect(createEvent({ type: 't', data: Buffer.from('Ma') }).data_base64).toBe('TWE=');
    });

    it('keeps a binary content type given with the bytes', () => {
      const event = createEvent({ type: 't', data: new Uint8Array([1]), datacontenttype: 'image/png' });
      expect(event).toMatchObject({ datacontenttype: 'image/png', data_base64: 'AQ==' });
    });

    it('accepts data_base64 given directly, and refuses it together with data', () => {
      expect(createEvent({ type: 't', data_base64: 'TWE=' }).data_base64).toBe('TWE=');
      expect(invalid(() => createEvent({ type: 't', data_base64: 'TWE' })).details).toEqual({
        attribute: 'data_base64',
        rule: 'base64',
      });
      expect(invalid(() => createEvent({ type: 't', data: 'x', data_base64: 'TWE=' })).details).toEqual({
        attribute: 'data_base64',
        rule: 'exclusive',
      });
    });
  });

  describe('extensions', () => {
    it('keeps Herald extensions and other extension attributes', () => {
      const event = createEvent({
        type: 'order.created',
        data: {},
        correlationid: 'c-1',
        causationid: 'e-0',
        priority: 'high',
        severity: 'warn',
        expiresat: '2030-01-01T00:00:00Z',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tenant: 'acme',
        retries: 3,
        replay: false,
      });
      expect(event).toMatchObject({
        correlationid: 'c-1',
        causationid: 'e-0',
        priority: 'high',
        severity: 'warn',
        expiresat: '2030-01-01T00:00:00Z',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tenant: 'acme',
        retries: 3,
        replay: false,
      });
    });

    it('leaves out attributes set to undefined or null', () => {
      const event = createEvent({
        type: 't',
        subject: undefined,
        priority: undefined,
        tenant: null,
        // Typed as string, but plain JavaScript callers (or JSON) may pass null.
        time: null as unknown as string,
      });
      expect(Object.keys(event)).toEqual(['specversion', 'id', 'source', 'type', 'time']);
      expect(event.time).toEqual(expect.any(String));
    });

    it.each([
      ['priority', 'urgent', 'enum'],
      ['severity', 'fatal', 'enum'],
      ['expiresat', 'tomorrow', 'timestamp'],
      ['traceparent', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'traceparent'],
      ['correlationid', '', 'non-empty'],
      ['position', -1, 'non-negative-integer'],
      ['stream', 7, 'string'],
      ['subject', '', 'non-empty'],
      ['time', 'lunchtime', 'timestamp'],
      ['id', 42, 'string'],
      ['dataschema', '/relative', 'uri'],
      ['specversion', '0.3', 'specversion'],
      ['tenant', { name: 'acme' }, 'value-type'],
      ['ratio', 1.5, 'integer'],
      ['MyExtension', 'x', 'name'],
      ['my_extension', 'x', 'name'],
      ['averyveryverylongname', 'x', 'name-length'],
    ])('rejects %s = %j (rule %s)', (attribute, value, rule) => {
      const err = invalid(() => createEvent({ type: 't', [attribute]: value }));
      expect(err.details).toEqual({ attribute, rule });
      expect(err.message).toContain(`attribute "${attribute}"`);
    });

    it('accepts an extension name of exactly 20 characters', () => {
      expect(createEvent({ type: 't', abcdefghijklmnopqrst: 1 }).abcdefghijklmnopqrst).toBe(1);
    });
  });

  it('rejects a missing or empty type but leaves its grammar to the subject module', () => {
    expect(invalid(() => createEvent({ type: '' })).details).toEqual({
      attribute: 'type',
      rule: 'non-empty',
    });
    expect(invalid(() => createEvent({} as { type: string })).details).toEqual({
      attribute: 'type',
      rule: 'non-empty',
    });
    expect(createEvent({ type: 'Not A Subject!' }).type).toBe('Not A Subject!');
  });

  it('makes events that validateEvent accepts unchanged and that survive the JSON format', () => {
    const events = [
      createEvent({ type: 't' }),
      createEvent({ type: 't', data: { nested: [1, 'two', null] } }),
      createEvent({ type: 't', data: 'text', subject: 's', priority: 'low', tenant: 'acme' }),
      createEvent({ type: 't', data: new Uint8Array([1, 2, 3]) }),
    ];
    for (const event of events) {
      expect(validateEvent(event)).toStrictEqual(event);
      expect(parseStructured(toStructured(event))).toStrictEqual(event);
    }
  });

  it('returns an object that is readonly by type but not frozen, since freezing costs 40% or more of the call', () => {
    expect(Object.isFrozen(createEvent({ type: 't', data: {} }))).toBe(false);
  });
});
