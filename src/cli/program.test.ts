import { describe, expect, it } from 'vitest';
import { createProgram, heraldVersion } from './program.js';

function run(args: string[]): string {
  let out = '';
  const program = createProgram()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  try {
    program.parse(['node', 'herald', ...args]);
  } catch {
    // commander throws (instead of exiting) after printing version or help
  }
  return out;
}

describe('the herald command', () => {
  it('prints the package version with --version', () => {
    expect(run(['--version']).trim()).toBe(heraldVersion());
    expect(heraldVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints usage with --help', () => {
    expect(run(['--help'])).toMatch(/Usage: herald/);
  });

  it('lists the hub and client commands', () => {
    const help = run(['--help']);
    for (const command of ['serve', 'publish', 'tail', 'events', 'groups', 'dlq']) {
      expect(help).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('says what is wrong with an unknown option', () => {
    expect(run(['--nope'])).toMatch(/unknown option '--nope'/);
  });
});
