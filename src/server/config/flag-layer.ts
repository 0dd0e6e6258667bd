import { CONFIG_KEYS, flagProperty } from './config-keys.js';
import type { ConfigEntry } from './entry.js';

/**
 * The settings given as `herald serve` flags (commander's parsed options; absent flags are
 * `undefined`), checked, each with its flag as the source.
 *
 * @example
 * ```ts
 * flagEntries({ port: '4100', insecure: true });
 * // [{ key: 'port', value: 4100, source: '--port' }, { key: 'insecure', value: true, source: '--insecure' }]
 * ```
 */
export function flagEntries(flags: Readonly<Record<string, unknown>>): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const { key, type, flag } of CONFIG_KEYS) {
    if (flag === undefined) continue;
    const given = flags[flagProperty(flag)];
    if (given === undefined) continue;
    const source = flag.split(' ')[0]!;
    const raw = typeof given === 'string' ? type.fromText(given, key, source) : given;
    entries.push({ key, value: type.check(raw, key, source), source });
  }
  return entries;
}
