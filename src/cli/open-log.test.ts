/**
 * A backend added to the registry, and nothing else, is reachable everywhere `herald serve` looks:
 * the `log` check, its settings in the file, the environment and flags, `--help`, and `openLog`.
 * The entry is pushed onto the real list before any module reads it, as a new line in
 * `src/backends/registry.ts` would be.
 */
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import type { LogTarget } from '../backends/registry.js';
import { loadConfig } from '../server/config/load-config.js';
import { logName, openLog } from './log-drivers.js';
import { addServeCommand } from './serve-command.js';

const opened = vi.hoisted(() => [] as LogTarget[]);

vi.mock('../backends/registry.js', async (importOriginal) => {
  const registry = await importOriginal<typeof import('../backends/registry.js')>();
  const { integer, text } = await import('../server/config/value-types.js');
  (registry.BACKENDS as import('../backends/registry.js').BackendEntry[]).push({
    name: 'fake',
    schemes: ['fake', 'fakes'],
    packages: ['fake-driver'],
    load: () => import('../backends/memory/index.js'),
    open: (module, target) => {
      opened.push(target);
      return (module as typeof import('../backends/memory/index.js')).memoryLog();
    },
    settings: [
      { key: 'level', type: integer(1, 9), default: 5, flag: '--fake-level <n>', doc: 'how fake' },
      { key: 'token', type: text, doc: 'a fake credential' },
    ],
  });
  return registry;
});

// Choosing one backend loads no other's driver: these fail the file if anything imports them.
vi.mock('pg', () => {
  throw new Error('pg was imported');
});
vi.mock('ioredis', () => {
  throw new Error('ioredis was imported');
});
vi.mock('@nats-io/transport-node', () => {
  throw new Error('@nats-io/transport-node was imported');
});
vi.mock('@nats-io/jetstream', () => {
  throw new Error('@nats-io/jetstream was imported');
});
vi.mock('better-sqlite3', () => {
  throw new Error('better-sqlite3 was imported');
});

describe('a backend that is one registry entry', () => {
  it('is a valid log, with its settings from every source, and openLog opens it', async () => {
    const { config, sources } = loadConfig({
      flags: { log: 'fakes://app:s3cret@somewhere/x', fakeLevel: '7' },
      env: { HERALD_FAKE__TOKEN: 'abc' },
    });
    expect(config.backends.fake).toEqual({ level: 7, token: 'abc' });
    expect(sources.get('fake.level')).toBe('--fake-level');
    const log = await openLog(config);
    const [appended] = await log.append([{ type: 'a.b', data: 1 }]);
    expect((await log.get(appended!.id))?.data).toBe(1);
    await log.close();
    expect(opened.at(-1)).toMatchObject({
      value: 'fakes://app:s3cret@somewhere/x',
      settings: { level: 7, token: 'abc' },
    });
    expect(opened.at(-1)!.url?.hostname).toBe('somewhere');
    expect(logName(config)).toBe('fakes://app:***@somewhere/x');
  });

  it('takes its section in the config file, its defaults, and is named among the known schemes', () => {
    const { config } = loadConfig({ flags: { log: 'fake://h' }, env: {} });
    expect(config.backends.fake).toEqual({ level: 5 });
    expect(() => loadConfig({ flags: { log: 'fake://h', fakeLevel: '10' }, env: {} })).toThrow(
      'invalid config: fake.level (from --fake-level) must be',
    );
    expect(() => loadConfig({ env: { HERALD_FAKE__LEVL: '3' } })).toThrow('did you mean HERALD_FAKE__LEVEL?');
    expect(() => loadConfig({ flags: { log: 'mysql://db' }, env: {} })).toThrow(
      'nats://, tls://, fake:// or fakes:// URL',
    );
  });

  it('has its flag in herald serve --help', () => {
    const serve = addServeCommand(new Command('herald')).commands.find((c) => c.name() === 'serve')!;
    expect(serve.helpInformation()).toContain('--fake-level <n>');
    expect(serve.helpInformation()).toContain('how fake (env HERALD_FAKE__LEVEL; default 5)');
  });

  it('says what to npm install when its driver is missing', async () => {
    const { config } = loadConfig({ flags: { log: 'fake://h' }, env: {} });
    const missing = Object.assign(new Error("Cannot find package 'fake-driver' imported from /x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(
      openLog(config, { load: () => Promise.reject(missing), resolves: () => false }),
    ).rejects.toThrow(
      'the fake log needs fake-driver, which is not installed: run `npm install fake-driver`',
    );
  });

  it('opens the memory log without loading any driver', async () => {
    const { config } = loadConfig({ flags: { log: 'memory' }, env: {} });
    const log = await openLog(config);
    expect(logName(config)).toBe('memory');
    await log.close();
  });
});
