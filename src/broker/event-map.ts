import type { HeraldEvent } from '../event/types.js';

/**
 * Declares the events a broker carries: event type -> data type. The default, an open map, accepts
 * any valid type with `unknown` data.
 *
 * @example
 * ```ts
 * type Shop = { 'order.created': { id: string; total: number }; 'order.paid': { id: string } };
 * const broker = createBroker<Shop>();
 * ```
 */
export type EventMap = Record<string, unknown>;

type Split<S extends string> = S extends `${infer Head}.${infer Tail}` ? [Head, ...Split<Tail>] : [S];

type MatchTokens<P extends readonly string[], T extends readonly string[]> = P extends ['>']
  ? T extends [string, ...string[]]
    ? true
    : false
  : P extends [infer PH extends string, ...infer PT extends string[]]
    ? T extends [infer TH extends string, ...infer TT extends string[]]
      ? PH extends '*'
        ? MatchTokens<PT, TT>
        : PH extends TH
          ? MatchTokens<PT, TT>
          : false
      : false
    : T extends []
      ? true
      : false;

/**
 * True when the NATS-style `Pattern` matches the event type `Type`, computed by the compiler with
 * the same rules as the runtime index (`*` one token, `>` one or more trailing tokens).
 *
 * @example
 * ```ts
 * type A = PatternMatches<'order.*', 'order.created'>; // true
 * type B = PatternMatches<'order.>', 'order'>;          // false
 * ```
 */
export type PatternMatches<Pattern extends string, Type extends string> = MatchTokens<
  Split<Pattern>,
  Split<Type>
>;

/** The declared types of `E` that `Pattern` matches (all of `string` for an open map). */
export type MatchingTypes<E extends EventMap, Pattern extends string> = string extends keyof E
  ? string
  : { [K in keyof E & string]: PatternMatches<Pattern, K> extends true ? K : never }[keyof E & string];

/** A `HeraldEvent` of a declared type: its `data` is always present, of the declared type. */
export type TypedEvent<Type extends string, Data> = HeraldEvent<Type, Data> & { readonly data: Data };

/** The event union a handler of `Pattern` receives: one event per matching declared type. */
export type EventFor<E extends EventMap, Pattern extends string> = string extends keyof E
  ? HeraldEvent<string, E[string]>
  : { [K in MatchingTypes<E, Pattern>]: TypedEvent<K, E[K]> }[MatchingTypes<E, Pattern>];

/** The event a publisher of `Type` produces. */
export type EventOf<E extends EventMap, Type extends keyof E & string> = string extends keyof E
  ? HeraldEvent<Type, E[Type]>
  : TypedEvent<Type, E[Type]>;
