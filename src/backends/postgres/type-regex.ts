import { typeMatcher } from '../../log/type-matcher.js';

// ASCII punctuation is escaped with a backslash (a literal in PostgreSQL's regular expressions);
// letters, digits and non-ASCII characters stand for themselves.
const SPECIAL = /[!-/:-@[-`{-~]/g;

function tokenRegex(token: string): string {
  if (token === '*') return '[^.]+';
  if (token === '>') return '.+';
  return token.replace(SPECIAL, '\\$&');
}

/**
 * NATS-style patterns as PostgreSQL regular expressions, for `type ~ ANY ($regexes)`: `*` is one
 * token (`[^.]+`), `>` one or more trailing tokens (`.+`: types have no empty token, so any
 * non-empty rest is whole tokens). Validates the patterns (`INVALID_PATTERN`). `null` when they
 * take every type (no patterns, or `>` among them), so the query needs no filter; an empty list
 * gives `[]`, which matches nothing.
 *
 * @example
 * ```ts
 * typeRegexes(['order.*', 'invoice.>']); // ['^order\\.[^.]+$', '^invoice\\..+$']
 * ```
 */
export function typeRegexes(patterns: readonly string[] | undefined): string[] | null {
  typeMatcher(patterns);
  if (patterns === undefined || patterns.includes('>')) return null;
  return patterns.map((pattern) => `^${pattern.split('.').map(tokenRegex).join('\\.')}$`);
}
