import { expect } from 'vitest';
import type { EventInit } from '../../event/create-event.js';
import { eventBytes } from '../../event/event-bytes.js';
import type { HeraldEvent } from '../../event/types.js';
import { ANY_NUMBER, ANY_STRING, caught, expectIncreasing, readAll, recordedMs } from './helpers.js';
import type { Suite } from './suite.js';

/** Append, get and read back; capabilities; behaviour after close. */
export function appendReadCases(suite: Suite): void {
  suite.test('declares its capabilities in one frozen object', [], (t) => {
    const caps = t.log.capabilities;
    expect(Object.isFrozen(caps)).toBe(true);
    expect(typeof caps.name).toBe('string');
    for (const key of [
      'survivesReopen',
      'survivesServerRestart',
      'fsync',
      'consumerGroups',
      'multiProcess',
    ] as const) {
      expect(typeof caps[key]).toBe('boolean');
    }
    // Each implies the one before it.
    if (caps.fsync) expect(caps.survivesServerRestart).toBe(true);
    if (caps.survivesServerRestart) expect(caps.survivesReopen).toBe(true);
  });

  suite.test('reads back an appended event with every attribute and its data unchanged', [], async (t) => {
    const stream = t.name('order');
    const input: EventInit = {
      id: `${t.prefix}-e1`,
      source: '/shop/checkout',
      type: t.type('order.created'),
      subject: 'o-1',
      time: '2026-01-02T03:04:05.678Z',
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/schemas/order.json',
      correlationid: `${t.prefix}-flow`,
      causationid: 'cause-1',
      priority: 'high',
      severity: 'warn',
      expiresat: '2099-01-01T00:00:00Z',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tenant: 'acme',
      attempt: 3,
      urgent: true,
      data: {
        id: 'o-1',
        lines: [{ sku: 'a', qty: 2, price: 9.99 }],
        note: null,
        text: 'héllo ✓ 漢字',
        deep: { a: [] },
      },
    };
    const before = Date.now();
    const [result] = await t.log.append([input], { stream });
    expect(result).toEqual({
      id: input.id,
      position: ANY_NUMBER,
      stream,
      version: 1,
      duplicate: false,
    });
    const stored = await t.log.get(input.id as string);
    expect(stored).toEqual({
      specversion: '1.0',
      ...input,
      position: result!.position,
      recordedat: ANY_STRING,
      stream,
      version: 1,
    });
    expect(Math.abs(recordedMs(stored!) - before)).toBeLessThan(3_600_000);
    expect(await readAll(t.log, { types: [t.type('>')] })).toEqual([stored]);
  });

  suite.test('keeps string data, binary data and a full CloudEvent exactly as given', [], async (t) => {
    const text = {
      id: `${t.prefix}-t`,
      type: t.type('text'),
      datacontenttype: 'text/plain',
      data: 'not { json',
    };
    const bytes = { id: `${t.prefix}-b`, type: t.type('bytes'), data: new Uint8Array([0, 1, 2, 254, 255]) };
    const full: HeraldEvent = {
      specversion: '1.0',
      id: `${t.prefix}-f`,
      source: 'urn:test:full',
      type: t.type('full'),
      data_base64: 'AAEC',
    };
    await t.log.append([text, bytes, full]);
    expect(await t.log.get(text.id)).toMatchObject({ datacontenttype: 'text/plain', data: 'not { json' });
    expect(eventBytes((await t.log.get(bytes.id))!)).toEqual(new Uint8Array([0, 1, 2, 254, 255]));
    const stored = await t.log.get(full.id);
    expect(stored).toEqual({ ...full, position: ANY_NUMBER, recordedat: ANY_STRING });
    expect(stored).not.toHaveProperty('time');
  });

  suite.test('fills the id, source and time of an event given as a type and data', [], async (t) => {
    const [result] = await t.log.append([{ type: t.type('bare'), data: { n: 1 } }]);
    expect(typeof result!.id).toBe('string');
    const stored = await t.log.get(result!.id);
    expect(stored).toMatchObject({ specversion: '1.0', type: t.type('bare'), data: { n: 1 } });
    expect(typeof stored!.source).toBe('string');
    expect(stored!.source).not.toBe('');
    expect(Number.isNaN(Date.parse(stored!.time!))).toBe(false);
  });

  suite.test('numbers positions upward within a batch and a stream version from 1', [], async (t) => {
    const stream = t.name('s');
    const type = t.type('step');
    const first = await t.log.append([{ type }, { type }, { type }], { stream });
    expect(first.map((r) => r.version)).toEqual([1, 2, 3]);
    for (const r of first) expect(Number.isSafeInteger(r.position) && r.position >= 1).toBe(true);
    expectIncreasing(first.map((r) => r.position));
    const second = await t.log.append([{ type }, { type }], { stream });
    expect(second.map((r) => r.version)).toEqual([4, 5]);
    expect(second[0]!.position).toBeGreaterThan(first[2]!.position);
    expect(await t.log.streamVersion(stream)).toBe(5);
    const [loose] = await t.log.append([{ type }]);
    expect(loose).toMatchObject({ stream: undefined, version: undefined, duplicate: false });
    expect((await t.log.get(loose!.id))?.stream).toBeUndefined();
    expect((await readAll(t.log, { stream })).map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
  });

  suite.test('returns undefined for an unknown id and version 0 for an unknown stream', [], async (t) => {
    expect(await t.log.get(`${t.prefix}-missing`)).toBeUndefined();
    expect(await t.log.streamVersion(t.name('missing'))).toBe(0);
  });

  suite.test('an empty batch stores nothing and reports nothing', [], async (t) => {
    expect(await t.log.append([], { stream: t.name('s') })).toEqual([]);
    expect(await t.log.streamVersion(t.name('s'))).toBe(0);
  });

  suite.test('bounds cover every stored position', [], async (t) => {
    const results = await t.log.append([{ type: t.type('a') }, { type: t.type('b') }]);
    const { first, last } = await t.log.bounds();
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(results[0]!.position);
    expect(last).toBeGreaterThanOrEqual(results[1]!.position);
  });

  suite.test('rejects every call after close with LOG_CLOSED', [], async (t) => {
    const [result] = await t.log.append([{ type: t.type('a') }], { stream: t.name('s') });
    await t.log.close();
    const log = t.log;
    const calls: [string, () => unknown][] = [
      ['append', () => log.append([{ type: t.type('a') }])],
      ['get', () => log.get(result!.id)],
      ['read', () => readAll(log)],
      ['subscribe', async () => log.subscribe({ from: 'start' }).next()],
      ['streamVersion', () => log.streamVersion(t.name('s'))],
      ['truncateStream', () => log.truncateStream(t.name('s'), 1)],
      ['deleteStream', () => log.deleteStream(t.name('s'))],
      ['applyRetention', () => log.applyRetention()],
      ['bounds', () => log.bounds()],
      ['group', () => log.group(t.name('g'))],
      ['groups', () => log.groups()],
    ];
    for (const [name, call] of calls) {
      expect(await caught(call), name).toMatchObject({ code: 'LOG_CLOSED' });
    }
  });
}
