import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBroker, HeraldError } from '../index.js';

type Shop = { 'order.created': { id: string; total: number }; 'user.signup': { email: string } };

describe('runtime validation with Standard Schema', () => {
  it('checks data with a zod schema and rejects invalid data with INVALID_DATA naming the path', async () => {
    const broker = createBroker<Shop>({
      schemas: { 'order.created': z.object({ id: z.string(), total: z.number().nonnegative() }) },
    });
    await expect(broker.publish('order.created', { id: 'o-1', total: 5 })).resolves.toMatchObject({
      data: { id: 'o-1' },
    });
    const err: unknown = await broker
      .publish('order.created', { id: 'o-2', total: -1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HeraldError);
    expect(err).toMatchObject({ code: 'INVALID_DATA', details: { type: 'order.created' } });
    expect((err as HeraldError).message).toMatch(/total/);
    // A type without a schema is not checked.
    await expect(broker.publish('user.signup', { email: 'x' })).resolves.toBeDefined();
  });

  it('checks data with a valibot schema, and uses the parsed value', async () => {
    const broker = createBroker<{ 'user.signup': { email: string } }>({
      schemas: { 'user.signup': v.object({ email: v.pipe(v.string(), v.trim(), v.email()) }) },
    });
    const e = await broker.publish('user.signup', { email: '  ada@example.com ' });
    expect(e.data).toEqual({ email: 'ada@example.com' });
    await expect(broker.publish('user.signup', { email: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_DATA',
    });
  });

  it('supports asynchronous validators', async () => {
    const broker = createBroker<{ 'a.b': string }>({
      schemas: { 'a.b': z.string().refine(async (s) => s.length > 2, 'too short') },
    });
    await expect(broker.publish('a.b', 'long')).resolves.toMatchObject({ data: 'long' });
    await expect(broker.publish('a.b', 'x')).rejects.toThrow(/too short/);
  });

  it('validates every event of a batch before delivering any', async () => {
    const broker = createBroker<Shop>({
      schemas: { 'order.created': z.object({ id: z.string(), total: z.number() }) },
    });
    let seen = 0;
    broker.subscribe('>', () => void seen++);
    await expect(
      broker.publishBatch([
        { type: 'order.created', data: { id: 'a', total: 1 } },
        { type: 'order.created', data: { id: 'b', total: 'x' as unknown as number } },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_DATA' });
    await broker.close();
    expect(seen).toBe(0);
  });
});
