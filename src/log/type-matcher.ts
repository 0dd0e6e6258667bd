import { matchesPattern, validatePattern } from '../subject/subject.js';
import { SubjectIndex } from '../subject/subject-index.js';

// Below this many patterns a loop of matchesPattern beats the index (no tokenizing, no cache).
const INDEX_FROM = 8;

/**
 * A predicate for "the type matches any of these NATS-style patterns". Validates every pattern
 * (`INVALID_PATTERN`); `undefined` matches every type, an empty list matches none (the filters
 * of a read are combined with AND, and "any of none" is false). Long lists go through a
 * `SubjectIndex`, so the cost follows the type's tokens, not the number of patterns.
 *
 * @example
 * ```ts
 * const matches = typeMatcher(['order.*', 'invoice.>']);
 * matches('order.created'); // true
 * ```
 */
export function typeMatcher(patterns: readonly string[] | undefined): (type: string) => boolean {
  if (patterns === undefined) return () => true;
  for (const pattern of patterns) validatePattern(pattern);
  if (patterns.length === 0) return () => false;
  if (patterns.length === 1) {
    const pattern = patterns[0]!;
    return (type) => matchesPattern(pattern, type);
  }
  if (patterns.length < INDEX_FROM) return (type) => patterns.some((p) => matchesPattern(p, type));
  const index = new SubjectIndex<true>();
  for (const pattern of patterns) index.add(pattern, true);
  return (type) => index.match(type).length > 0;
}
