import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../errors/herald-error.js';
import { fileEntries } from './file-layer.js';

function message(yaml: string): string {
  try {
    fileEntries(yaml, 'herald.yaml', '/etc/herald');
  } catch (error) {
    if (error instanceof HeraldError && error.code === 'INVALID_CONFIG') return error.message;
    throw error;
  }
  throw new Error('expected an INVALID_CONFIG error');
}

describe('the config file', () => {
  it('gives each setting with its file and line, nested sections flattened', () => {
    expect(
      fileEntries('port: 4100\nlive:\n  retryMs: 500\nsqlite: { durability: os }\n', 'h.yaml', '/x'),
    ).toEqual([
      { key: 'port', value: 4100, source: 'h.yaml:1' },
      { key: 'live.retryMs', value: 500, source: 'h.yaml:3' },
      { key: 'sqlite.durability', value: 'os', source: 'h.yaml:4' },
    ]);
  });

  it('treats an empty file and empty sections as nothing set', () => {
    expect(fileEntries('', 'h.yaml')).toEqual([]);
    expect(fileEntries('auth:\nlive:\n', 'h.yaml')).toEqual([]);
  });

  it('resolves relative paths against the folder of the file', () => {
    expect(fileEntries('data: ./events\n', 'h.yaml', '/etc/herald')).toEqual([
      { key: 'data', value: '/etc/herald/events', source: 'h.yaml:1' },
    ]);
  });

  it('refuses unknown keys, suggesting the closest one', () => {
    expect(message('live:\n  keepAlive: 5\n')).toBe(
      'invalid config: live.keepAlive (from herald.yaml:2) is not a known setting; did you mean live.keepAliveMs?',
    );
    expect(message('prot: 1\n')).toBe(
      'invalid config: prot (from herald.yaml:1) is not a known setting; did you mean port?',
    );
    expect(message('colour: blue\n')).toBe(
      'invalid config: colour (from herald.yaml:1) is not a known setting',
    );
  });

  it('refuses a section that is not a mapping, listing what it takes', () => {
    expect(message('sqlite: fsync\n')).toBe(
      'invalid config: sqlite (from herald.yaml:1) must be a mapping of durability, got "fsync"',
    );
  });

  it('refuses YAML that does not parse, and a top level that is not a mapping', () => {
    expect(message('port: [1\n')).toMatch(/^invalid config: herald\.yaml:\d+ is not valid YAML: /);
    expect(message('- port\n')).toBe(
      'invalid config: (top level) (from herald.yaml) must be a mapping of settings, got ["port"]',
    );
  });

  it('refuses an alias with no anchor and an alias bomb as invalid YAML, not a crash', () => {
    expect(message('*a\n')).toMatch(/^invalid config: herald\.yaml is not valid YAML: Unresolved alias/);
    const bomb = [
      'a: &a [x, x]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ];
    expect(message(`${bomb.join('\n')}\n`)).toMatch(/is not valid YAML: Excessive alias count/);
  });

  it('refuses a string where a number is expected (only the environment and flags are text)', () => {
    expect(message('port: "4021"\n')).toBe(
      'invalid config: port (from herald.yaml:1) must be an integer from 0 to 65535, got "4021"',
    );
  });
});
