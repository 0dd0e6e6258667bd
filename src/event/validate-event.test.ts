import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/index.js';
import type { EventRule } from './invalid-event.js';
import { validateEvent } from './validate-event.js';

const MINIMAL = { specversion: '1.0', id: 'e-1', source: 'https://example.com', type: 'order.created' };

/** Validates `fields` on top of a valid minimal event and returns the INVALID_EVENT error. */
function rejection(fields: Record<string, unknown>, base: Record<string, unknown> = MINIMAL): HeraldError {
  try {
    validateEvent({ ...base, ...fields });
  } catch (err) {
    expect(err).toBeInstanceOf(HeraldError);
    expect((err as HeraldError).code).toBe('INVALID_EVENT');
    return err as HeraldError;
  }
  return expect.fail(`expected ${JSON.stringify(fields)} to be rejected`);
}

function expectRejected(fields: Record<string, unknown>, attribute: string | null, rule: EventRule): void {
  const err = rejection(fields);
  expect(err.details).toEqual({ attribute, rule });
  if (attribute !== null) expect(err.message).toContain(`attribute ${JSON.stringify(attribute)}`);
}

function expectAccepted(fields: Record<string, unknown>): void {
  expect(() => validateEvent({ ...MINIMAL, ...fields })).not.toThrow();
}

describe('validateEvent', () => {
  it('returns a copy of a valid event, keeping data by reference', () => {
    const data = { total: 42 };
    const input = { ...MINIMAL, data, tenant: 'acme' };
    const event = validateEvent(input);
    expect(event).toStrictEqual(input);
    expect(event).not.toBe(input);
    expect(event.data).toBe(data);
  });

  it('names the attribute and the rule in the message', () => {
    expect(rejection({ time: 'lunchtime' }).message).toBe(
      'invalid CloudEvent: attribute "time" must be an RFC 3339 timestamp, got "lunchtime"',
    );
  });

  it.each([null, [], 'event', 42, undefined])('rejects %j, which is not an object', (input) => {
    expect(() => validateEvent(input)).toThrow(/must be a JSON object/);
    try {
      validateEvent(input);
    } catch (err) {
      expect((err as HeraldError).details).toEqual({ attribute: null, rule: 'object' });
    }
  });

  describe('required attributes', () => {
    it.each(['specversion', 'id', 'source', 'type'])('requires %s, absent or null', (name) => {
      const { [name]: _, ...rest } = MINIMAL as Record<string, unknown>;
      expect(rejection({}, rest).details).toEqual({ attribute: name, rule: 'required' });
      expect(rejection({ [name]: null }).details).toEqual({ attribute: name, rule: 'required' });
    });

    it('accepts only specversion "1.0", and checks it before anything else', () => {
      expectRejected({ specversion: '0.3' }, 'specversion', 'specversion');
      expectRejected({ specversion: '' }, 'specversion', 'specversion');
      expectRejected({ specversion: 1.0 }, 'specversion', 'specversion');
      expect(rejection({ specversion: '0.3', id: undefined }).details.attribute).toBe('specversion');
    });

    it.each(['id', 'source', 'type'])('requires %s to be a non-empty string', (name) => {
      expectRejected({ [name]: '' }, name, 'non-empty');
      expectRejected({ [name]: 25 }, name, 'string');
      expectRejected({ [name]: { xyz: 'abc' } }, name, 'string');
    });

    it('does not apply the subject grammar to type', () => {
      expectAccepted({ type: 'com.github.pull_request.opened' });
      expectAccepted({ type: 'Has Spaces' });
    });
  });

  describe('String values', () => {
    it.each([
      ['a NUL', 'a\u0000b'],
      ['a newline', 'a\nb'],
      ['DEL', 'a\u007fb'],
      ['a C1 control', 'a\u0085b'],
      ['a lone high surrogate', 'a\ud800b'],
      ['a lone low surrogate', '\udead'],
      ['a noncharacter', 'a\ufffeb'],
      ['a noncharacter in another plane', 'a\u{1ffff}b'],
    ])('rejects %s', (_, value) => {
      expectRejected({ subject: value }, 'subject', 'characters');
      expectRejected({ id: value }, 'id', 'characters');
      expectRejected({ tenant: value }, 'tenant', 'characters');
    });

    it('accepts non-ASCII text and surrogate pairs', () => {
      expectAccepted({ subject: 'héllo wörld 🌎', id: '日本', tenant: '\ud83d\ude00' });
    });
  });

  describe('source', () => {
    it.each([
      'https://cloudevents.io',
      '#fragment',
      '/cloudevents/spec/pull/123',
      'mailto:cncf-wg-serverless@lists.cncf.io',
      'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
      '1-555-123-4567',
      '//authority/path',
      'https://user:pw@[::1]:8080/a%20b?q=1&r=/x?#frag/?',
      'herald',
      '.',
      '',
    ])('accepts the URI-reference %j', (source) => {
      if (source === '') expectRejected({ source }, 'source', 'non-empty');
      else expectAccepted({ source });
    });

    it.each([
      'my service',
      'https://exa mple.com',
      '/a%zz',
      '1a:b',
      'https://host/p#a#b',
      '/sensors/é',
      'https://[::1/x',
      'https://host:80a/',
      'a\\b',
      '/a"b',
    ])('rejects %j, which is not a URI-reference', (source) => {
      expectRejected({ source }, 'source', 'uri-reference');
    });
  });

  describe('time', () => {
    it.each([
      '2018-04-05T17:31:00Z',
      '2018-04-05t17:31:00z',
      '2018-04-05T17:31:00.000000000Z',
      '2018-04-05T17:31:00.5+01:00',
      '2018-04-05T16:31:00-01:00',
      '2018-04-05T17:31:00-00:00',
      '2024-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2016-12-31T23:59:60Z',
      '0001-01-01T00:00:00Z',
    ])('accepts the RFC 3339 timestamp %s', (time) => {
      expectAccepted({ time });
    });

    it.each([
      'lunchtime',
      '2018-04-05T18:31Z',
      '2018-04-05T18:31:00X',
      '2018-04-05T18:31:00+25:00',
      '2018-04-05T18:31:00+xx:00',
      '2018-04-05T18:31:00+05',
      '2018-04-05T18:31:00+05:60',
      '2018-04-05T18:31:00',
      '2018-04-05 18:31:00Z',
      '2018-04-05',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2018-13-01T00:00:00Z',
      '2018-04-31T00:00:00Z',
      '2018-04-00T00:00:00Z',
      '2018-04-05T24:00:00Z',
      '2018-04-05T23:60:00Z',
      '2018-04-05T23:59:61Z',
      '2018-04-05T17:31:00.Z',
      '18-04-05T17:31:00Z',
      '２０18-04-05T17:31:00Z',
    ])('rejects %j', (time) => {
      expectRejected({ time }, 'time', 'timestamp');
    });

    it('rejects an empty or non-string time', () => {
      expectRejected({ time: '' }, 'time', 'non-empty');
      expectRejected({ time: 1_522_949_460_000 }, 'time', 'string');
    });

    it('keeps the time string exactly as given', () => {
      expect(validateEvent({ ...MINIMAL, time: '2018-04-05T18:31:00.000000000+01:00' }).time).toBe(
        '2018-04-05T18:31:00.000000000+01:00',
      );
    });
  });

  describe('datacontenttype', () => {
    it.each([
      'text/plain',
      'application/json',
      'application/json; charset=utf-8',
      'application/cloudevents+json',
      'multipart/form-data; boundary="a b;c"',
      'text/plain;charset=us-ascii;format=flowed',
      'application/vnd.apache.thrift.binary',
    ])('accepts the media type %j', (datacontenttype) => {
      expectAccepted({ datacontenttype });
    });

    it.each([
      'xyz',
      'text/',
      '/json',
      'text plain',
      'text/plain; charset',
      'text/plain; =x',
      'text/plain ; a="b',
    ])('rejects %j', (datacontenttype) => {
      expectRejected({ datacontenttype }, 'datacontenttype', 'media-type');
    });

    it('rejects an empty content type', () => {
      expectRejected({ datacontenttype: '' }, 'datacontenttype', 'non-empty');
    });

    it('may appear without data', () => {
      expect(validateEvent({ ...MINIMAL, datacontenttype: 'text/plain' })).not.toHaveProperty('data');
    });
  });

  describe('dataschema', () => {
    it('accepts an absolute URI, with or without a fragment', () => {
      expectAccepted({ dataschema: 'https://cloudevents.io/dataschema' });
      expectAccepted({ dataschema: 'https://example.com/s.json#/definitions/Order' });
      expectAccepted({ dataschema: 'urn:example:order:v2' });
    });

    it('rejects an empty, relative or malformed schema URI', () => {
      expectRejected({ dataschema: '' }, 'dataschema', 'non-empty');
      expectRejected({ dataschema: '/schemas/order.json' }, 'dataschema', 'uri');
      expectRejected({ dataschema: 'https://exa mple.com' }, 'dataschema', 'uri');
      expectRejected({ dataschema: 7 }, 'dataschema', 'string');
    });
  });

  describe('subject', () => {
    it('must be a non-empty string when present', () => {
      expectAccepted({ subject: 'tests' });
      expectRejected({ subject: '' }, 'subject', 'non-empty');
      expectRejected({ subject: 5 }, 'subject', 'string');
    });
  });

  describe('data and data_base64', () => {
    it('rejects data together with data_base64', () => {
      expectRejected({ data: 'text', data_base64: 'eyAieHl6IjogMTIzIH0=' }, 'data_base64', 'exclusive');
      expectRejected({ data: null, data_base64: 'TWE=' }, 'data_base64', 'exclusive');
    });

    it('accepts padded standard base64, including the empty string', () => {
      expect(validateEvent({ ...MINIMAL, data_base64: 'TWE=' }).data_base64).toBe('TWE=');
      expectAccepted({ data_base64: 'TWFu' });
      expectAccepted({ data_base64: 'TQ==' });
      expectAccepted({ data_base64: '' });
    });

    it.each(['TWE', 'TW=E', 'T!E=', 'TWE=TWE=', 'TQ===', '-_8=', 'TW E='])(
      'rejects %j as data_base64',
      (value) => {
        expectRejected({ data_base64: value }, 'data_base64', 'base64');
      },
    );

    it('rejects a data_base64 that is not a string', () => {
      expectRejected({ data_base64: [77, 97] }, 'data_base64', 'string');
    });

    it('keeps an explicit null payload, which differs from no data', () => {
      const event = validateEvent({ ...MINIMAL, data: null });
      expect(event).toHaveProperty('data', null);
      expect(validateEvent({ ...MINIMAL, data: 'x', data_base64: null })).toStrictEqual({
        ...MINIMAL,
        data: 'x',
      });
    });

    it('requires string data when the content type does not declare JSON', () => {
      expectAccepted({ datacontenttype: 'text/plain', data: 'Simple text' });
      expectAccepted({ datacontenttype: 'application/vnd.order+json', data: { a: 1 } });
      expectAccepted({ datacontenttype: 'application/json; charset=utf-8', data: [1] });
      expectAccepted({ data: { a: 1 } });
      expectRejected({ datacontenttype: 'text/plain', data: { a: 1 } }, 'data', 'data-string');
      expectRejected({ datacontenttype: 'application/xml', data: 5 }, 'data', 'data-string');
    });

    it('turns Uint8Array data from an in-process caller into data_base64', () => {
      const event = validateEvent({ ...MINIMAL, data: new Uint8Array([77, 97]) });
      expect(event).toStrictEqual({ ...MINIMAL, data_base64: 'TWE=' });
      expectRejected({ data: new Uint8Array([1]), data_base64: 'AQ==' }, 'data_base64', 'exclusive');
    });
  });

  describe('null attributes', () => {
    it('drops optional attributes and extensions set to null', () => {
      const event = validateEvent({
        ...MINIMAL,
        datacontenttype: null,
        dataschema: null,
        subject: null,
        time: null,
        priority: null,
        tenant: null,
      });
      expect(event).toStrictEqual(MINIMAL);
    });
  });

  describe('extension attributes', () => {
    it.each(['MyExtension', 'my.extension', 'my_ext', 'my-ext', 'ext ension', 'émoji', '__proto__'])(
      'rejects the name %j',
      (name) => {
        const err = rejection({ [name]: 'bad' });
        expect(err.details).toEqual({ attribute: name, rule: 'name' });
      },
    );

    it('reports a bad name before a bad value', () => {
      expect(rejection({ 'my.extension': 1.5 }).details).toEqual({ attribute: 'my.extension', rule: 'name' });
    });

    it('accepts names longer than 20 characters from other producers (CloudEvents says SHOULD NOT)', () => {
      const event = validateEvent({ ...MINIMAL, averyveryverylongextensionname: 'x' });
      expect(event.averyveryverylongextensionname).toBe('x');
    });

    it('accepts string, boolean and integer values and keeps their JSON types', () => {
      const fields = {
        extstring: 'text',
        extboolean: true,
        extinteger: 10,
        extnegative: -2_147_483_648,
        extmax: 2_147_483_647,
        exturi: 'https://cloudevents.io',
        extbinary: 'TWE=',
      };
      expect(validateEvent({ ...MINIMAL, ...fields })).toStrictEqual({ ...MINIMAL, ...fields });
    });

    it.each([
      [1.5, 'integer'],
      [2_147_483_648, 'integer'],
      [-2_147_483_649, 'integer'],
      [Number.NaN, 'integer'],
      [{ a: 1 }, 'value-type'],
      [[1], 'value-type'],
    ] as const)('rejects the value %j (rule %s)', (value, rule) => {
      expectRejected({ extvalue: value }, 'extvalue', rule);
    });
  });

  describe("Herald's extensions", () => {
    it('accepts every Herald extension with a good value', () => {
      const fields = {
        correlationid: 'c-1',
        causationid: 'e-0',
        priority: 'critical',
        severity: 'error',
        expiresat: '2030-01-01T00:00:00.000Z',
        userid: 'u-1',
        sessionid: 's-1',
        instanceid: 'i-1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        position: 0,
        stream: 'order-1',
        version: 3,
      };
      expect(validateEvent({ ...MINIMAL, ...fields })).toStrictEqual({ ...MINIMAL, ...fields });
    });

    it.each(['critical', 'high', 'normal', 'low'])('accepts priority %s', (priority) => {
      expectAccepted({ priority });
    });

    it.each(['info', 'warn', 'error', 'critical'])('accepts severity %s', (severity) => {
      expectAccepted({ severity });
    });

    it.each([
      ['priority', 'urgent', 'enum'],
      ['priority', 'HIGH', 'enum'],
      ['priority', 1, 'enum'],
      ['severity', 'fatal', 'enum'],
      ['severity', 'warning', 'enum'],
      ['expiresat', 'tomorrow', 'timestamp'],
      ['expiresat', '2030-01-01', 'timestamp'],
      ['expiresat', '', 'non-empty'],
      ['traceparent', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'traceparent'],
      ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'traceparent'],
      ['traceparent', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', 'traceparent'],
      ['traceparent', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'traceparent'],
      ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', 'traceparent'],
      ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1', 'traceparent'],
      ['traceparent', 1, 'traceparent'],
      ['position', -1, 'non-negative-integer'],
      ['position', 1.5, 'non-negative-integer'],
      ['position', '3', 'non-negative-integer'],
      ['position', 2 ** 53, 'non-negative-integer'],
      ['version', -2, 'non-negative-integer'],
      ['stream', '', 'non-empty'],
      ['stream', 1, 'string'],
      ['correlationid', '', 'non-empty'],
      ['causationid', 5, 'string'],
      ['userid', true, 'string'],
    ] as const)('rejects %s = %j (rule %s)', (attribute, value, rule) => {
      expectRejected({ [attribute]: value }, attribute, rule);
    });

    it('accepts a position beyond the 32-bit CloudEvents Integer range', () => {
      expect(validateEvent({ ...MINIMAL, position: 2 ** 40 }).position).toBe(2 ** 40);
    });
  });

  it('does not modify its input', () => {
    const input = { ...MINIMAL, subject: null, data: new Uint8Array([1]) };
    const copy = { ...input };
    validateEvent(input);
    expect(input).toStrictEqual(copy);
  });
});
