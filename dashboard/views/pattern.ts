import { patternProblem } from '../../src/subject/subject.js';

/**
 * The hub's own pattern rule (src/subject/subject.ts), so the page refuses exactly what the hub
 * refuses. Returns the problem in words, or `undefined` when the pattern is valid.
 *
 * @example
 * ```ts
 * patternError('order.>.created'); // '">" at position 6 is not the last token'
 * ```
 */
export function patternError(pattern: string): string | undefined {
  if (pattern === '') return 'Enter a pattern, for example order.> or > for every event.';
  return patternProblem(pattern);
}
