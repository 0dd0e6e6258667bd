import { configError } from './config-error.js';
import { CONFIG_KEYS, envName } from './config-keys.js';
import { didYouMean } from './did-you-mean.js';
import type { ConfigEntry } from './entry.js';

/** `HERALD_*` variables that are not settings of the hub: the config file and the client commands'. */
export const OTHER_VARIABLES: ReadonlySet<string> = new Set(['HERALD_CONFIG', 'HERALD_URL', 'HERALD_TOKEN']);

const BY_ENV = new Map(CONFIG_KEYS.map((k) => [envName(k.key), k]));

/**
 * The settings in `HERALD_*` environment variables, checked, each with the variable as its
 * source. Lists are comma-separated, `auth.keys` is JSON, empty variables count as unset, and an
 * unknown `HERALD_*` variable is an error (a typo would otherwise be ignored in silence).
 *
 * @example
 * ```ts
 * envEntries({ HERALD_PORT: '4100', HERALD_ALLOW_IPS: '127.0.0.1,10.0.0.0/8' });
 * // [{ key: 'port', value: 4100, source: 'HERALD_PORT' }, { key: 'allowIps', value: [...], source: 'HERALD_ALLOW_IPS' }]
 * ```
 */
export function envEntries(env: Readonly<Record<string, string | undefined>>): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('HERALD_') || OTHER_VARIABLES.has(name) || text === undefined || text === '')
      continue;
    const known = BY_ENV.get(name);
    if (!known) {
      const guess = didYouMean(name, [...BY_ENV.keys(), ...OTHER_VARIABLES]);
      throw configError(
        name,
        'the environment',
        `is not a known setting${guess ? `; did you mean ${guess}?` : ''} (see docs/configuration.md)`,
      );
    }
    const value = known.type.check(known.type.fromText(text, known.key, name), known.key, name);
    entries.push({ key: known.key, value, source: name });
  }
  return entries;
}
