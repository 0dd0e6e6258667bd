import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, envName } from './config-keys.js';

const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  it('has a row for every setting with its environment variable, flag and default', () => {
    for (const { key, flag, default: value } of CONFIG_KEYS) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, `no row for ${key}`).toBeDefined();
      expect(row).toContain(`\`${envName(key)}\``);
      if (flag !== undefined) expect(row).toContain(`\`${flag.split(' ')[0]!}\``);
      const shown = typeof value === 'string' ? value : JSON.stringify(value);
      if (value !== undefined) expect(row).toContain(`\`${shown}\``);
    }
  });
});
