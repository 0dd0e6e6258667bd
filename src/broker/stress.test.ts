import { describe, expect, it } from 'vitest';
import { createBroker } from '../index.js';
import { waitFor } from '../testing/index.js';
import { seededRandom } from '../testing/seeded-random.js';

describe('stress', () => {
  it('10,000 events, concurrency 16, random failures with retries: each ends handled or dead-lettered exactly once', async () => {
    const random = seededRandom(42);
    const broker = createBroker({ onError: () => undefined });
    const handled = new Map<number, number>();
    broker.subscribe(
      'load.*',
      async (e) => {
        if (random() < 0.5) await new Promise((r) => setImmediate(r));
        if (random() < 0.3) throw new Error('random failure');
        const n = e.data as number;
        handled.set(n, (handled.get(n) ?? 0) + 1);
      },
      { concurrency: 16, maxQueue: 1_000, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } },
    );
    const N = 10_000;
    for (let i = 0; i < N; i++) await broker.publish(`load.${i % 7}`, i);
    await waitFor(() => handled.size + broker.stats().deadLetters === N, { timeoutMs: 30_000 });
    const result = await broker.close();
    expect(result.drained).toBe(true);

    const dead = (await broker.deadLetters.list()).map((d) => d.event.data as number);
    expect(new Set(dead).size).toBe(dead.length); // no event dead-lettered twice
    for (const n of dead) expect(handled.has(n)).toBe(false); // never both
    for (const count of handled.values()) expect(count).toBe(1); // no duplicate handling
    expect(handled.size + dead.length).toBe(N); // none lost
    expect(dead.length).toBeGreaterThan(0); // 0.3^3 of 10,000 is about 270
    const [s] = broker.stats().subscriptions;
    expect(s).toMatchObject({
      published: N,
      succeeded: handled.size,
      deadLettered: dead.length,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(s!.delivered).toBe(s!.succeeded + s!.failed);
  });
});
