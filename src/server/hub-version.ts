import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The version in Herald's package.json, read once at run time (from `src/server` and from
 * `dist/server` alike the file is two levels up), so the hub's index and OpenAPI document cannot
 * drift from the package. `'0.0.0'` if it cannot be read (a bundled copy without the file).
 *
 * @example
 * ```ts
 * hubVersion(); // '0.1.0'
 * ```
 */
export function hubVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    cached = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    cached = '0.0.0';
  }
  return cached;
}
