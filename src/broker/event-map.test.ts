import { describe, expectTypeOf, it } from 'vitest';
import { createBroker, type MatchingTypes, type PatternMatches, type TypedEvent } from '../index.js';

type Shop = {
  'order.created': { id: string; total: number };
  'order.paid': { id: string; amount: number };
  'order.eu.created': { id: string; vat: number };
  'user.signup': { email: string };
};

// These assertions are checked by `tsc --noEmit` (npm run typecheck); at run time they are no-ops.
describe('typed event map', () => {
  it('matches patterns at the type level with NATS rules', () => {
    expectTypeOf<PatternMatches<'order.*', 'order.created'>>().toEqualTypeOf<true>();
    expectTypeOf<PatternMatches<'order.*', 'order.eu.created'>>().toEqualTypeOf<false>();
    expectTypeOf<PatternMatches<'order.>', 'order.eu.created'>>().toEqualTypeOf<true>();
    expectTypeOf<PatternMatches<'order.>', 'order'>>().toEqualTypeOf<false>();
    expectTypeOf<PatternMatches<'*.created', 'order.created'>>().toEqualTypeOf<true>();
    expectTypeOf<PatternMatches<'>', 'user.signup'>>().toEqualTypeOf<true>();
    expectTypeOf<MatchingTypes<Shop, 'order.*'>>().toEqualTypeOf<'order.created' | 'order.paid'>();
    expectTypeOf<MatchingTypes<Shop, '*.*.created'>>().toEqualTypeOf<'order.eu.created'>();
  });

  it('checks publish data against the declared type', () => {
    const broker = createBroker<Shop>();
    void broker.publish('order.created', { id: 'o', total: 1 });
    // @ts-expect-error: total is missing
    void broker.publish('order.created', { id: 'o' });
    // @ts-expect-error: not a declared type
    void broker.publish('order.shipped', {});
    void broker.publish({ type: 'user.signup', data: { email: 'a@b' } });
    // @ts-expect-error: data of another type
    void broker.publish({ type: 'user.signup', data: { id: 'o', total: 1 } });
    expectTypeOf(broker.publish('user.signup', { email: 'x' })).resolves.toEqualTypeOf<
      TypedEvent<'user.signup', { email: string }>
    >();
  });

  it('infers the union of matching events in a wildcard handler, narrowed by type', () => {
    const broker = createBroker<Shop>();
    broker.subscribe('order.*', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'order.created' | 'order.paid'>();
      if (e.type === 'order.paid') expectTypeOf(e.data).toEqualTypeOf<{ id: string; amount: number }>();
    });
    broker.subscribe('user.signup', (e) => {
      expectTypeOf(e.data).toEqualTypeOf<{ email: string }>();
    });
    const stream = broker.consume('order.>');
    expectTypeOf(stream).toEqualTypeOf<
      AsyncIterableIterator<
        | TypedEvent<'order.created', Shop['order.created']>
        | TypedEvent<'order.paid', Shop['order.paid']>
        | TypedEvent<'order.eu.created', Shop['order.eu.created']>
      > & { close(): Promise<void> }
    >();
  });

  it('types replies from the reply map', () => {
    const broker = createBroker<{ 'math.add': { a: number; b: number } }, { 'math.add': number }>();
    broker.reply('math.add', (e) => e.data.a + e.data.b);
    // @ts-expect-error: the reply must be a number
    broker.reply('math.add', () => 'five');
    expectTypeOf(broker.request('math.add', { a: 1, b: 2 })).resolves.toEqualTypeOf<number>();
  });

  it('accepts any valid type with unknown data on an open map', () => {
    const broker = createBroker();
    void broker.publish('anything.at.all', 42);
    broker.subscribe('a.>', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<string>();
      expectTypeOf(e.data).toEqualTypeOf<unknown>();
    });
  });
});
