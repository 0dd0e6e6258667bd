import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../errors/herald-error.js';
import { echoOf, parseClientMessage } from './ws-messages.js';

function refusal(raw: unknown): HeraldError {
  try {
    parseClientMessage(raw);
  } catch (error) {
    if (error instanceof HeraldError) return error;
    throw error;
  }
  throw new Error('expected INVALID_MESSAGE');
}

describe('WebSocket client messages', () => {
  it('refuses a publish whose ref is not a short string or a number, instead of dropping it', () => {
    for (const bad of [null, {}, [1], true, 'r'.repeat(257), Number.NaN]) {
      const error = refusal({ type: 'publish', ref: bad, event: { type: 'a.b' } });
      expect(error.code).toBe('INVALID_MESSAGE');
      expect(error.details).toMatchObject({ field: 'ref' });
    }
    expect(
      parseClientMessage({ type: 'publish', ref: 'r'.repeat(256), event: { type: 'a.b' } }),
    ).toMatchObject({
      ref: 'r'.repeat(256),
    });
    expect(parseClientMessage({ type: 'publish', ref: 7, event: { type: 'a.b' } })).toMatchObject({ ref: 7 });
  });

  it('echoes an id or ref only when it is small enough to be one', () => {
    expect(echoOf({ id: 'x'.repeat(257), ref: 'y'.repeat(300) })).toEqual({});
    expect(echoOf({ id: 'orders', ref: 3 })).toEqual({ id: 'orders', ref: 3 });
  });
});
