import { dirname, isAbsolute, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { HeraldError } from '../../errors/herald-error.js';
import { configError, shown } from './config-error.js';
import { CONFIG_KEYS, KEYS_BY_NAME, SECTIONS } from './config-keys.js';
import { didYouMean } from './did-you-mean.js';
import type { ConfigEntry } from './entry.js';

/**
 * The settings of a YAML config file, checked, each with `file:line` as its source. Unknown keys
 * are errors (with a "did you mean" when one is close); relative paths are resolved against the
 * file's folder (`folder`); keys set to nothing (`auth:`) count as unset.
 *
 * @example
 * ```ts
 * fileEntries('port: 4100\nlive: { retryMs: 500 }\n', 'herald.yaml');
 * // [{ key: 'port', value: 4100, source: 'herald.yaml:1' }, { key: 'live.retryMs', value: 500, source: 'herald.yaml:2' }]
 * ```
 */
export function fileEntries(yamlText: string, file: string, folder = dirname(resolve(file))): ConfigEntry[] {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    const source = line === undefined ? file : `${file}:${line}`;
    throw new HeraldError(
      'INVALID_CONFIG',
      `invalid config: ${source} is not valid YAML: ${first.message.split('\n')[0]!}`,
      {
        details: { key: 'config', source },
      },
    );
  }
  const where = (path: readonly (string | number)[]): string => {
    const node = doc.getIn(path, true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    return offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
  };
  const root = toJs(doc, file);
  if (root === null || root === undefined) return [];
  if (!isMapping(root))
    throw configError('(top level)', file, `must be a mapping of settings, got ${shown(root)}`);
  const entries: ConfigEntry[] = [];
  walk(root, [], where, entries, folder);
  return entries;
}

/**
 * The document as plain values. The parser accepts what only building the values refuses: an
 * alias to an anchor set later or never (`*a`), or more aliases than the YAML library allows (its
 * guard against alias bombs, `maxAliasCount` 100); both are invalid config, not a crash.
 */
function toJs(doc: ReturnType<typeof parseDocument>, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new HeraldError('INVALID_CONFIG', `invalid config: ${file} is not valid YAML: ${reason}`, {
      details: { key: 'config', source: file },
    });
  }
}

function walk(
  mapping: Record<string, unknown>,
  path: readonly string[],
  where: (path: readonly (string | number)[]) => string,
  entries: ConfigEntry[],
  folder: string,
): void {
  for (const [name, value] of Object.entries(mapping)) {
    const at = [...path, name];
    const key = at.join('.');
    if (value === null || value === undefined) continue;
    const source = where(at);
    if (SECTIONS.has(key) && isMapping(value)) {
      walk(value, at, where, entries, folder);
      continue;
    }
    const known = KEYS_BY_NAME.get(key);
    if (known) {
      let checked = known.type.check(value, key, source);
      if (known.path === true && typeof checked === 'string' && !isAbsolute(checked)) {
        checked = resolve(folder, checked);
      }
      entries.push({ key, value: checked, source });
    } else if (SECTIONS.has(key)) {
      const children = CONFIG_KEYS.filter((k) => k.key.startsWith(`${key}.`)).map((k) =>
        k.key.slice(key.length + 1),
      );
      throw configError(key, source, `must be a mapping of ${children.join(', ')}, got ${shown(value)}`);
    } else {
      throw unknownKey(key, source);
    }
  }
}

function unknownKey(key: string, source: string): HeraldError {
  const guess = didYouMean(key, [...KEYS_BY_NAME.keys(), ...SECTIONS]);
  return configError(key, source, `is not a known setting${guess ? `; did you mean ${guess}?` : ''}`);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
