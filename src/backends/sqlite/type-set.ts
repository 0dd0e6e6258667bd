import { typeMatcher } from '../../log/type-matcher.js';
import type { Statements } from './statements.js';

// Bumped when a write transaction rolls back as a whole: type ids a set saw inside it may be
// given to other types later, so every set starts over.
let epoch = 0;

/**
 * Makes every `TypeSet` read the registry again from the start at its next refresh. Called after
 * a write transaction rolled back.
 *
 * @example
 * ```ts
 * new WriteQueue({ ...options, rolledBack: invalidateTypeSets });
 * ```
 */
export function invalidateTypeSets(): void {
  epoch++;
}

/**
 * The concrete types that match some NATS patterns, resolved against the `event_types`
 * registry, so queries filter with `type IN (...)` (or seek the type index) instead of matching
 * every row in JavaScript. `refresh` reads only the types registered since the last call; call
 * it in the same transaction as the query it feeds, so no event can have a type it has not seen.
 *
 * @example
 * ```ts
 * const set = typeSet(['order.>']);
 * set?.refresh(sql);
 * set?.types; // ['order.created', 'order.shipped']
 * ```
 */
export class TypeSet {
  readonly #matches: (type: string) => boolean;
  #epoch = epoch;
  #lastId = 0;
  #types: string[] = [];
  #json = '[]';

  constructor(matches: (type: string) => boolean) {
    this.#matches = matches;
  }

  /** The matching types seen so far. */
  get types(): readonly string[] {
    return this.#types;
  }

  /** The same, as the JSON array the queries take. */
  get json(): string {
    return this.#json;
  }

  refresh(sql: Statements): void {
    if (this.#epoch !== epoch) {
      this.#epoch = epoch;
      this.#lastId = 0;
      this.#types = [];
      this.#json = '[]';
    }
    const rows = sql['select-types-since'].all(this.#lastId) as { id: number; type: string }[];
    if (rows.length === 0) return;
    for (const { id, type } of rows) {
      this.#lastId = id;
      if (this.#matches(type)) this.#types.push(type);
    }
    this.#json = JSON.stringify(this.#types);
  }
}

/**
 * A `TypeSet` for patterns (validated: `INVALID_PATTERN`), or `undefined` when they take every
 * type (`undefined`, or a list containing `>`), so the query needs no type filter.
 *
 * @example
 * ```ts
 * typeSet(['>']); // undefined
 * ```
 */
export function typeSet(patterns: readonly string[] | undefined): TypeSet | undefined {
  const matches = typeMatcher(patterns);
  if (patterns === undefined || patterns.includes('>')) return undefined;
  return new TypeSet(matches);
}
