import { describe, expect, it } from 'vitest';
import { AppendLandings } from './append-landings.js';

describe('AppendLandings', () => {
  it("an event is a call's own only where that call's message landed", () => {
    const landings = new AppendLandings<object>();
    const [call, other] = [{}, {}];
    const token = landings.token(call);
    landings.token(other);
    landings.landed(token, 'a', 7);
    expect(landings.own(call, 'a', 7)).toBe(true);
    expect(landings.own(call, 'a', 3)).toBe(false); // stored earlier by someone else
    expect(landings.own(other, 'a', 7)).toBe(false); // another call's message
    expect(landings.own(call, 'a', undefined)).toBe(false); // not visible
  });

  it('ignores messages of calls not in progress, and forgets a call that settled', () => {
    const landings = new AppendLandings<object>();
    const call = {};
    landings.landed('elsewhere.0', 'a', 1);
    landings.landed('', 'a', 1);
    expect(landings.active).toBe(false);
    const token = landings.token(call);
    expect(landings.token(call)).toBe(token);
    expect(new AppendLandings<object>().token({})).not.toBe(token); // another log's tokens differ
    landings.landed(token, 'a', 1);
    landings.forget(call);
    expect(landings.active).toBe(false);
    expect(landings.own(call, 'a', 1)).toBe(false);
  });

  it('hands out, once, the sequences that landed where the event is not stored', () => {
    const landings = new AppendLandings<object>();
    const call = {};
    const token = landings.token(call);
    landings.landed(token, 'a', 4);
    landings.landed(token, 'b', 5);
    const stored = new Map([['a', 4]]);
    expect(landings.strays(call, (id) => stored.get(id))).toEqual([5]);
    expect(landings.strays(call, (id) => stored.get(id))).toEqual([]);
    expect(landings.own(call, 'a', 4)).toBe(true);
  });
});
