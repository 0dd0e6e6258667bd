/**
 * Property-based fuzzing of `herald serve`'s configuration: `loadConfig` over arbitrary YAML files
 * (random text, YAML built from the real keys with arbitrary values, anchors, aliases, tags and
 * deep nesting), `HERALD_*` variables and flags either returns a config or throws a HeraldError
 * `INVALID_CONFIG`; never another error, never a crash.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HeraldError } from '../../src/errors/herald-error.js';
import { CONFIG_KEYS, envName, flagProperty } from '../../src/server/config/config-keys.js';
import { loadConfig } from '../../src/server/config/load-config.js';
import { nastyJson, nastyString, nestedJson } from './fuzz-helpers/arbitraries.js';
import { fuzzParams } from './fuzz-helpers/fuzz-options.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-fuzz-config-'));
mkdirSync(join(dir, 'a-folder'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = CONFIG_KEYS.map((k) => k.key);
const FLAGS = CONFIG_KEYS.flatMap((k) => (k.flag === undefined ? [] : [flagProperty(k.flag)]));

/** Values a config key might be given: right-looking ones, and anything at all. */
const value = fc.oneof(
  fc.constantFrom(
    0,
    1,
    -1,
    4100,
    65_536,
    1.5,
    'memory',
    'sqlite',
    'redis://x',
    'info',
    '127.0.0.1',
    '10.0.0.0/8',
  ),
  fc.constantFrom('*', 'https://a.example', 'fsync', 'os', true, false, 'true', '', [], {}),
  nastyJson(),
  fc.array(fc.record({ key: nastyString(), grants: nastyJson() }), { maxLength: 2 }),
);

/** A tree of real keys (and a few unknown ones), nested as the file nests sections. */
const settings = fc
  .dictionary(fc.oneof(fc.constantFrom(...KEYS), nastyString(5)), value, { maxKeys: 5 })
  .map((flat) => {
    const tree: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(flat)) {
      const parts = key.split('.');
      let node = tree;
      for (const part of parts.slice(0, -1)) {
        const next = node[part];
        node[part] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
        node = node[part] as Record<string, unknown>;
      }
      node[parts[parts.length - 1]!] = v;
    }
    return tree;
  });

/** YAML's own tricks: anchors and aliases (cycles, alias bombs), merge keys, tags, odd scalars. */
const yamlTricks = fc.constantFrom(
  'port: &p 4100\nlive:\n  retryMs: *p\n',
  'a: &a [*a]\n',
  'live: &l\n  retryMs: 1\n  self: *l\n',
  'port: !!binary aGVsbG8=\n',
  'port: !!timestamp 2026-01-01\n',
  'port: !!float .nan\n',
  'port: 0x10\n',
  'port: 1_000\n',
  'port: 1e3\n',
  'port: ~\n',
  'host: !custom x\n',
  '<<: {port: 1}\n',
  '? [a, b]\n: 1\n',
  '? {a: 1}\n: 1\n',
  'port: 1\nport: 2\n',
  '%YAML 1.1\n---\nport: 010\ninsecure: yes\n',
  '---\nport: 1\n---\nport: 2\n',
  '\ufeffport: 4100\n',
  'port: "\\ud800"\n',
  '\t- port\n',
  'port: [1, 2\n',
  'auth:\n  keys: "[{]"\n',
  'auth:\n  keys:\n    - key: k\n      grants: { publish: [">"] }\n',
  'auth:\n  jwt:\n    jwksFile: a-folder\n',
  'cors:\n  origins: ["\\u0000", "*"]\n',
);

const yamlText = fc.oneof(
  settings.map((tree) => stringify(tree)),
  yamlTricks,
  fc.tuple(yamlTricks, settings).map(([trick, tree]) => `${trick}${stringify(tree)}`),
  nastyString(60),
  fc
    .tuple(fc.constantFrom('port', 'live', 'auth', 'cors'), fc.integer({ min: 1, max: 5_000 }))
    .map(([key, depth]) => `${key}: ${nestedJson(depth, 'mixed')}\n`),
  fc
    .tuple(fc.integer({ min: 1, max: 2_000 }), fc.constantFrom('- ', 'a: '))
    .map(([depth, step]) =>
      Array.from({ length: depth }, (_, i) => `${' '.repeat(i * 2)}${step}`).join('\n'),
    ),
);

const env = fc.dictionary(
  fc.oneof(
    fc.constantFrom(...KEYS.map(envName), 'HERALD_CONFIG', 'HERALD_URL'),
    nastyString(6).map((s) => `HERALD_${s}`),
  ),
  fc.oneof(
    nastyString(20),
    fc.constantFrom('1', '0', 'true', 'memory', '[{"key":"k"}]', 'a,b', ',,', 'a-folder'),
  ),
  { maxKeys: 4 },
);

const flags = fc.dictionary(
  fc.oneof(fc.constantFrom(...FLAGS, 'config'), nastyString(4)),
  fc.oneof(
    nastyString(10),
    fc.boolean(),
    fc.constantFrom('4100', 'memory', 'a-folder', 'missing.yaml'),
    value,
  ),
  { maxKeys: 3 },
);

describe('loadConfig under fuzzing', () => {
  it('returns a config or throws INVALID_CONFIG, whatever the file, the variables and the flags', () => {
    const outcomes = { loaded: 0, refused: 0 };
    fc.assert(
      fc.property(
        yamlText,
        env,
        flags,
        fc.constantFrom('flag', 'env', 'default', 'none'),
        (text, vars, given, how) => {
          writeFileSync(join(dir, 'herald.yaml'), text);
          const options = {
            cwd: dir,
            env: { ...vars, ...(how === 'env' && { HERALD_CONFIG: 'herald.yaml' }) },
            flags: { ...given, ...(how === 'flag' && { config: 'herald.yaml' }) },
          };
          if (how === 'none') rmSync(join(dir, 'herald.yaml'));
          try {
            loadConfig(options);
            outcomes.loaded++;
          } catch (error) {
            if (!(error instanceof HeraldError) || error.code !== 'INVALID_CONFIG') {
              throw new Error(`expected INVALID_CONFIG, got ${String(error)}`, { cause: error });
            }
            expect(typeof error.details.key).toBe('string');
            outcomes.refused++;
          }
        },
      ),
      fuzzParams(1_000),
    );
    expect(outcomes.loaded).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(20);
  });
});
