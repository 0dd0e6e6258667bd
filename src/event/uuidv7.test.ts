import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeraldError } from '../errors/index.js';
import { uuidv7, uuidv7Time } from './uuidv7.js';

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A fresh copy of the module, so counter and clock state from other tests do not leak in. */
async function freshUuidv7(): Promise<typeof import('./uuidv7.js')> {
  vi.resetModules();
  return import('./uuidv7.js');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('uuidv7', () => {
  it('returns a lower-case canonical UUID with version 7 and the RFC 9562 variant', () => {
    for (let i = 0; i < 1000; i++) {
      const id = uuidv7();
      expect(id).toMatch(CANONICAL);
      const hex = id.replaceAll('-', '');
      expect(hex[12]).toBe('7');
      expect(parseInt(hex[16]!, 16) >> 2).toBe(0b10);
    }
  });

  it('makes 100,000 ids in a tight loop that strictly increase as strings', () => {
    const ids = new Array<string>(100_000);
    for (let i = 0; i < ids.length; i++) ids[i] = uuidv7();
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1]! < ids[i]!)) expect.fail(`id ${i} ${ids[i]} does not sort after ${ids[i - 1]}`);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stores the current millisecond in its timestamp', async () => {
    const fresh = await freshUuidv7();
    const before = Date.now();
    const id = fresh.uuidv7();
    const after = Date.now();
    expect(fresh.uuidv7Time(id)).toBeGreaterThanOrEqual(before);
    expect(fresh.uuidv7Time(id)).toBeLessThanOrEqual(after);
  });

  it('fills the random bits differently for ids made in the same millisecond', async () => {
    const fresh = await freshUuidv7();
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const tails = new Set(Array.from({ length: 1000 }, () => fresh.uuidv7().slice(19)));
    expect(tails.size).toBe(1000);
  });

  it('counts in rand_a within one millisecond and borrows the next millisecond when the counter overflows', async () => {
    const fresh = await freshUuidv7();
    const now = 1_700_000_000_000;
    vi.spyOn(Date, 'now').mockReturnValue(now);
    const ids = Array.from({ length: 10_000 }, () => fresh.uuidv7());
    expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
    const times = ids.map((id) => fresh.uuidv7Time(id));
    expect(times[0]).toBe(now);
    // 10,000 ids cannot fit in one millisecond's 4096 counter values: the timestamp moved on,
    // one millisecond at a time.
    expect(times.at(-1)).toBeGreaterThanOrEqual(now + 2);
    expect(times.every((t, i) => i === 0 || t - times[i - 1]! <= 1)).toBe(true);
    const perMs = new Map<number, number>();
    for (const t of times) perMs.set(t, (perMs.get(t) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeLessThanOrEqual(4096);
  });

  it('keeps increasing when the clock goes backwards', async () => {
    const fresh = await freshUuidv7();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(2_000_000);
    const first = fresh.uuidv7();
    clock.mockReturnValue(1_000_000);
    const second = fresh.uuidv7();
    expect(first < second).toBe(true);
    expect(fresh.uuidv7Time(second)).toBe(2_000_000);
  });

  it('starts a new millisecond from a seed with the counter top bit clear, leaving room to count', async () => {
    const fresh = await freshUuidv7();
    const clock = vi.spyOn(Date, 'now');
    for (let ms = 1; ms <= 200; ms++) {
      clock.mockReturnValue(ms);
      const counter = parseInt(fresh.uuidv7().slice(15, 18), 16);
      expect(counter).toBeLessThan(0x800);
    }
  });
});

describe('uuidv7Time', () => {
  it('reads the Unix milliseconds of the RFC 9562 test vector', () => {
    // RFC 9562 appendix A.6: 017F22E2-79B0-7CC3-98C4-DC0C0C07398F is Tuesday, February 22, 2022 2:22:22 PM GMT-05:00.
    expect(uuidv7Time('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(Date.UTC(2022, 1, 22, 19, 22, 22));
    expect(uuidv7Time('017F22E2-79B0-7CC3-98C4-DC0C0C07398F')).toBe(1_645_557_742_000);
  });

  it('rejects a string that is not a UUIDv7 with INVALID_EVENT', () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid', '']) {
      expect(() => uuidv7Time(id)).toThrow(HeraldError);
      try {
        uuidv7Time(id);
      } catch (err) {
        expect(err).toMatchObject({ code: 'INVALID_EVENT', details: { attribute: 'id', rule: 'uuidv7' } });
      }
    }
  });
});
