import { describe, expect, it, vi } from 'vitest';
import {
  createBroker,
  backoffDelay,
  HeraldError,
  RetryLaterError,
  UnrecoverableError,
  type Middleware,
} from '../index.js';
import { waitFor } from '../testing/index.js';

const quiet = { onError: () => undefined };

describe('retry', () => {
  it('retries a failing handler until it succeeds, counting each failed attempt', async () => {
    const broker = createBroker(quiet);
    let calls = 0;
    broker.subscribe(
      'r',
      () => {
        if (++calls < 3) throw new Error('flaky');
      },
      { retry: { maxAttempts: 5, baseDelayMs: 1 } },
    );
    await broker.publish('r', {}, { wait: 'handled' });
    expect(calls).toBe(3);
    expect(broker.stats().subscriptions[0]).toMatchObject({
      delivered: 3,
      failed: 2,
      retried: 2,
      succeeded: 1,
      deadLettered: 0,
    });
  });

  it('gives up after maxAttempts and dead-letters with the last error and the attempts', async () => {
    const broker = createBroker(quiet);
    let calls = 0;
    broker.subscribe(
      'r',
      () => {
        throw new Error(`fail ${++calls}`);
      },
      { name: 'always', retry: { maxAttempts: 3, baseDelayMs: 1 } },
    );
    await expect(broker.publish('r', {}, { wait: 'handled' })).rejects.toMatchObject({
      code: 'HANDLER_FAILED',
    });
    const [dead] = await broker.deadLetters.list();
    expect(dead).toMatchObject({ subscription: 'always', attempts: 3, error: { message: 'fail 3' } });
    expect(calls).toBe(3);
  });

  it('passes each attempt number and the redelivered flag to the handler', async () => {
    const broker = createBroker(quiet);
    const seen: [number, boolean][] = [];
    broker.subscribe(
      'r',
      (_e, ctx) => {
        seen.push([ctx.attempt, ctx.redelivered]);
        if (ctx.attempt < 2) throw new Error('again');
      },
      { retry: { maxAttempts: 2, baseDelayMs: 1 } },
    );
    await broker.publish('r', {}, { wait: 'handled' });
    expect(seen).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('dead-letters at once on UnrecoverableError', async () => {
    const broker = createBroker(quiet);
    let calls = 0;
    broker.subscribe(
      'r',
      () => {
        calls++;
        throw new UnrecoverableError('bad input');
      },
      { retry: { maxAttempts: 5, baseDelayMs: 1 } },
    );
    await expect(broker.publish('r', {}, { wait: 'handled' })).rejects.toThrow(/bad input/);
    expect(calls).toBe(1);
    expect((await broker.deadLetters.list())[0]).toMatchObject({
      attempts: 1,
      error: { code: 'UNRECOVERABLE' },
    });
  });

  it('does not retry errors the retryable predicate refuses', async () => {
    const broker = createBroker(quiet);
    let calls = 0;
    broker.subscribe(
      'r',
      () => {
        calls++;
        throw new TypeError('a bug');
      },
      { retry: { maxAttempts: 5, baseDelayMs: 1, retryable: (err) => !(err instanceof TypeError) } },
    );
    await expect(broker.publish('r', {}, { wait: 'handled' })).rejects.toThrow(/a bug/);
    expect(calls).toBe(1);
  });

  it('honours RetryLaterError: the event waits for the requested delay, not the policy backoff', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const broker = createBroker(quiet);
      let calls = 0;
      broker.subscribe(
        'r',
        () => {
          if (++calls === 1) throw new RetryLaterError(60_000);
        },
        { retry: { maxAttempts: 2, baseDelayMs: 1 } },
      );
      const handled = broker.publish('r', {}, { wait: 'handled' });
      await waitFor(() => broker.stats().subscriptions[0]!.retried === 1);
      await vi.advanceTimersByTimeAsync(59_999); // past the policy's 1 ms backoff, before 60 s
      expect(calls).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      await handled;
      expect(calls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not hold a worker while waiting to retry: other events are handled meanwhile', async () => {
    const broker = createBroker(quiet);
    const seen: string[] = [];
    broker.subscribe(
      'r',
      (e) => {
        if (e.data === 'slow-retry' && seen.filter((s) => s === 'slow-retry').length === 0) {
          seen.push('slow-retry');
          throw new RetryLaterError(30);
        }
        seen.push(e.data as string);
      },
      { retry: { maxAttempts: 2 } },
    );
    await broker.publish('r', 'slow-retry');
    await broker.publish('r', 'other');
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['slow-retry', 'other', 'slow-retry']);
  });

  it('computes exponential backoff with a cap, and full jitter within it', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, { baseDelayMs: 100, jitter: 'none' }))).toEqual([
      100, 200, 400, 800,
    ]);
    expect(backoffDelay(20, { baseDelayMs: 100, maxDelayMs: 5_000, jitter: 'none' })).toBe(5_000);
    expect(backoffDelay(3, { baseDelayMs: 100 }, () => 0.5)).toBe(200);
    expect(backoffDelay(3, { baseDelayMs: 100 }, () => 0)).toBe(0);
  });
});

describe('dead letters', () => {
  it('lists, redrives to the subscription that failed, and purges', async () => {
    const broker = createBroker(quiet);
    let fixed = false;
    const handled: unknown[] = [];
    broker.subscribe(
      'dl',
      (e) => {
        if (!fixed) throw new Error('not yet');
        handled.push(e.data);
      },
      { name: 'consumer' },
    );
    let other = 0;
    broker.subscribe('dl', () => void other++, { name: 'other' });
    await broker.publish('dl', 1).catch(() => undefined);
    await broker.publish('dl', 2).catch(() => undefined);
    await waitFor(() => broker.stats().deadLetters === 2);
    expect(await broker.deadLetters.list({ subscription: 'consumer' })).toHaveLength(2);
    expect(await broker.deadLetters.list({ type: 'dl' })).toHaveLength(2);
    expect(await broker.deadLetters.list({ type: 'other.>' })).toHaveLength(0);
    fixed = true;
    const first = (await broker.deadLetters.list())[0]!;
    expect(await broker.deadLetters.get(first.id)).toBe(first);
    expect(await broker.deadLetters.redrive(first.id)).toBe(1);
    await waitFor(() => handled.length === 1);
    expect(await broker.deadLetters.purge()).toBe(1);
    expect(broker.stats().deadLetters).toBe(0);
    expect(other).toBe(2); // redrive went only to the failed subscription
  });

  it('never routes a dead letter back into the subscription that failed it', async () => {
    const broker = createBroker(quiet);
    let calls = 0;
    broker.subscribe('>', () => {
      calls++;
      throw new Error('fails everything');
    });
    await broker.publish('loop', 1);
    await waitFor(() => broker.stats().deadLetters === 1);
    await broker.close();
    expect(calls).toBe(1);
  });

  it('redrive of an unknown id fails with DEAD_LETTER_NOT_FOUND', async () => {
    const broker = createBroker();
    await expect(broker.deadLetters.redrive('nope')).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
  });

  it('redrive to a subscription that is gone fails with SUBSCRIPTION_NOT_FOUND and keeps the entry', async () => {
    const broker = createBroker(quiet);
    const sub = broker.subscribe('g', () => {
      throw new Error('x');
    });
    await broker.publish('g', 1);
    await waitFor(() => broker.stats().deadLetters === 1);
    await sub.unsubscribe();
    await expect(broker.deadLetters.redrive()).rejects.toMatchObject({ code: 'SUBSCRIPTION_NOT_FOUND' });
    expect(broker.stats().deadLetters).toBe(1);
  });

  it('is bounded: the oldest entry is evicted and reported', async () => {
    const evicted: unknown[] = [];
    const broker = createBroker({
      maxDeadLetters: 2,
      onError: (_e, info) => void (info.kind === 'dead-letter-evicted' && evicted.push(info.event.data)),
    });
    broker.subscribe('e', () => {
      throw new Error('x');
    });
    for (let i = 0; i < 3; i++) await broker.publish('e', i).catch(() => undefined);
    await waitFor(() => evicted.length === 1);
    expect(evicted).toEqual([0]);
    expect((await broker.deadLetters.list()).map((d) => d.event.data)).toEqual([1, 2]);
    expect(broker.stats().deadLettersEvicted).toBe(1);
  });

  it('with deadLetter: false, a final failure is reported to onError and counted as failed', async () => {
    const reported: string[] = [];
    const broker = createBroker({ onError: (_e, info) => void reported.push(info.kind) });
    broker.subscribe(
      'f',
      () => {
        throw new Error('x');
      },
      { deadLetter: false },
    );
    await broker.publish('f', 1);
    await waitFor(() => reported.length === 1);
    expect(reported).toEqual(['handler-failed']);
    expect(broker.stats().deadLetters).toBe(0);
  });
});

describe('timeout', () => {
  it('fails a slow attempt with HANDLER_TIMEOUT and aborts its signal', async () => {
    const broker = createBroker(quiet);
    let aborted: unknown;
    broker.subscribe(
      't',
      (_e, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            resolve();
          });
        }),
      { timeoutMs: 20 },
    );
    await expect(broker.publish('t', 1, { wait: 'handled' })).rejects.toMatchObject({
      code: 'HANDLER_FAILED',
    });
    expect(aborted).toBeInstanceOf(HeraldError);
    expect((await broker.deadLetters.list())[0]!.error.code).toBe('HANDLER_TIMEOUT');
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, holds events while open, and closes after a good probe', async () => {
    const broker = createBroker(quiet);
    const states: string[] = [];
    let healthy = false;
    let calls = 0;
    const handled: unknown[] = [];
    broker.subscribe(
      'cb',
      (e) => {
        calls++;
        if (!healthy) throw new Error('down');
        handled.push(e.data);
      },
      {
        retry: { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 2 },
        circuitBreaker: { failureThreshold: 3, cooldownMs: 40, onStateChange: (s) => states.push(s) },
      },
    );
    await broker.publish('cb', 'a');
    await waitFor(() => states.includes('open'));
    expect(calls).toBe(3);
    await broker.publish('cb', 'b');
    await broker.publish('cb', 'c');
    healthy = true;
    await waitFor(() => handled.length === 3);
    expect(states.slice(0, 3)).toEqual(['open', 'half-open', 'closed']);
    expect(handled.sort()).toEqual(['a', 'b', 'c']);
    expect(broker.stats().deadLetters).toBe(0);
  });
});

describe('dedupe', () => {
  it('delivers an event id once per subscription within the window', async () => {
    const broker = createBroker();
    let a = 0;
    let b = 0;
    broker.subscribe('d', () => void a++, { dedupe: { windowMs: 60_000 } });
    broker.subscribe('d', () => void b++, { dedupe: true });
    await broker.publish('d', 1, { id: 'same-id', wait: 'handled' });
    await broker.publish('d', 1, { id: 'same-id', wait: 'handled' });
    await broker.publish('d', 1, { id: 'other-id', wait: 'handled' });
    expect([a, b]).toEqual([2, 2]);
    expect(broker.stats().subscriptions[0]!.duplicates).toBe(1);
  });

  it('knows an event by source and id: another source reusing an id is delivered', async () => {
    const broker = createBroker();
    const seen: string[] = [];
    broker.subscribe('d', (e) => void seen.push(e.source), { dedupe: true });
    await broker.publish('d', 1, { id: 'same-id', source: '/billing', wait: 'handled' });
    await broker.publish('d', 1, { id: 'same-id', source: '/shipping', wait: 'handled' });
    await broker.publish('d', 1, { id: 'same-id', source: '/billing', wait: 'handled' });
    expect(seen).toEqual(['/billing', '/shipping']);
    expect(broker.stats().subscriptions[0]!.duplicates).toBe(1);
  });

  it('does not treat a retry of the same event as a duplicate', async () => {
    const broker = createBroker(quiet);
    let calls = 0;
    broker.subscribe(
      'd',
      () => {
        if (++calls === 1) throw new Error('once');
      },
      { dedupe: true, retry: { maxAttempts: 2, baseDelayMs: 1 } },
    );
    await broker.publish('d', 1, { wait: 'handled' });
    expect(calls).toBe(2);
  });
});

describe('expiry', () => {
  it('does not deliver an event past expiresat, and counts it', async () => {
    const broker = createBroker();
    let calls = 0;
    broker.subscribe('x', () => void calls++);
    await broker.publish('x', 1, { expiresat: new Date(Date.now() - 1000).toISOString(), wait: 'handled' });
    await broker.publish('x', 2, { ttlMs: 60_000, wait: 'handled' });
    expect(calls).toBe(1);
    expect(broker.stats().subscriptions[0]!.expired).toBe(1);
  });
});

describe('user middleware', () => {
  it('runs inside retry and the breaker and outside the timeout, in array order', async () => {
    const broker = createBroker(quiet);
    const log: string[] = [];
    const tag =
      (name: string): Middleware =>
      async (ctx, next) => {
        log.push(`${name}:${ctx.attempt}`);
        await next();
      };
    broker.subscribe(
      'm',
      (_e, ctx) => {
        if (ctx.attempt === 1) throw new Error('first fails');
      },
      {
        middleware: [tag('outer'), tag('inner')],
        retry: { maxAttempts: 2, baseDelayMs: 1 },
        timeoutMs: 1_000,
      },
    );
    await broker.publish('m', 1, { wait: 'handled' });
    expect(log).toEqual(['outer:1', 'inner:1', 'outer:2', 'inner:2']);
  });

  it('can skip or fail deliveries', async () => {
    const broker = createBroker(quiet);
    let handled = 0;
    const onlyEven: Middleware = (ctx, next) => {
      if ((ctx.event.data as number) % 2 === 1) throw new UnrecoverableError('odd');
      return next();
    };
    broker.subscribe('m', () => void handled++, { middleware: [onlyEven] });
    await broker.publish('m', 2, { wait: 'handled' });
    await expect(broker.publish('m', 3, { wait: 'handled' })).rejects.toThrow(/odd/);
    expect(handled).toBe(1);
  });
});
